"""The clerk console: a small Starlette + Jinja2 + htmx app in the browser.

It is a client of the gRPC API only (through cashapp_client): every figure it shows comes from
a report or a resource the API returns, and every action is one API call made with the signed-in
clerk's own token, so the engine's records say who did what. No business rule lives here and no
database is opened."""
