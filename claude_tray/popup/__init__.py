"""The popup: the details window (`window`), its view model (`model`), the login panel
(`login`), the settings dialog (`settings`), the look (`theme`) and small widgets
(`widgets`).

This file must not import anything (Tk least of all), so `popup.model` (pure
functions) loads without Tk.
"""
