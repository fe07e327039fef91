"""Reads stdin and answers a session document that says how long the received key was.

It also reports whether the key appeared in its argv (it must not).
"""

import json
import sys

key = sys.stdin.readline().strip()
in_argv = any(key and key in arg for arg in sys.argv)
document = {
    "schema_version": 1,
    "status": "success",
    "source": "web",
    "logged_in": bool(key),
    "message": json.dumps({"length": len(key), "in_argv": in_argv, "argv": sys.argv[1:]}),
}
sys.stdout.write(json.dumps(document) + "\n")
