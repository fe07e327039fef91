"""Answers a session document whose message is the JSON of its environment."""

import json
import os
import sys

document = {
    "schema_version": 1,
    "status": "success",
    "source": "web",
    "logged_in": True,
    "message": json.dumps({"env": dict(os.environ), "cwd": os.getcwd()}),
}
sys.stdout.write(json.dumps(document) + "\n")
