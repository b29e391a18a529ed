"""The built-in Mailtrap-compatible server.

`app.LocalApp` answers requests (routing, storage, faults); `http.py` serves it
over real HTTP on loopback; `transport.py` answers the `local` profile
in-process over the same SQLite file when no server is running. Each API area
adds a `routes_<area>.py` module with its SCHEMA and a `register(router)`.
"""
