"""HTTP client for the Mailtrap API. Imports neither typer nor rich.

Area modules (`accounts`, `sending`, `sandbox`, ...) are thin functions over
`client.Client`; they return the API's JSON untouched.
"""
