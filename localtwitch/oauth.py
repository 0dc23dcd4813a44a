"""The HTTP half of the local Twitch-compatible server: the OAuth and Helix calls twitchAPI makes
(`/oauth2/validate`, `/oauth2/token` for refresh and the device flow, `/oauth2/device`,
`/helix/users`). One valid access token at a time; refreshing replaces it."""

from __future__ import annotations

import secrets
from typing import Any

from aiohttp import web

SCOPES = ["chat:read", "chat:edit"]
TOKEN_LIFETIME_S = 14_400


class LocalOAuth:
    """Issues and checks tokens for the local server; `routes()` registers the endpoints."""

    def __init__(self, bot_login: str, client_id: str) -> None:
        self.bot_login = bot_login
        self.client_id = client_id
        self.base_url = ""  # set once the server knows its port
        self.access_token = secrets.token_hex(15)
        self.refresh_token = secrets.token_hex(20)
        self._device_codes: dict[str, int] = {}

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/oauth2/validate", self._validate)
        app.router.add_post("/oauth2/token", self._token)
        app.router.add_post("/oauth2/device", self._device)
        app.router.add_get("/helix/users", self._users)

    async def _validate(self, request: web.Request) -> web.Response:
        token = request.headers.get("Authorization", "").partition(" ")[2]
        if token != self.access_token:
            return web.json_response({"status": 401, "message": "invalid access token"}, status=401)
        return web.json_response({"client_id": self.client_id, "login": self.bot_login, "scopes": SCOPES,
                                  "user_id": "1000", "expires_in": TOKEN_LIFETIME_S})

    def _new_tokens(self) -> dict[str, Any]:
        self.access_token, self.refresh_token = secrets.token_hex(15), secrets.token_hex(20)
        return {"access_token": self.access_token, "refresh_token": self.refresh_token,
                "expires_in": TOKEN_LIFETIME_S, "scope": SCOPES, "token_type": "bearer"}

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        grant = form.get("grant_type")
        if grant == "refresh_token" and form.get("refresh_token") == self.refresh_token:
            return web.json_response(self._new_tokens())
        if grant == "urn:ietf:params:oauth:grant-type:device_code":
            polls = self._device_codes.get(str(form.get("device_code")))
            if polls is None:
                return web.json_response({"status": 400, "message": "invalid device code"}, status=400)
            if polls == 0:  # the "user" completes the login after the first poll
                self._device_codes[str(form.get("device_code"))] = 1
                return web.json_response({"status": 400, "message": "authorization_pending"}, status=400)
            return web.json_response(self._new_tokens())
        return web.json_response({"status": 400, "message": "Invalid refresh token"}, status=400)

    async def _device(self, request: web.Request) -> web.Response:
        code = secrets.token_hex(8)
        self._device_codes[code] = 0
        user_code = secrets.token_hex(4).upper()
        return web.json_response({
            "device_code": code, "expires_in": 1800, "interval": 1, "user_code": user_code,
            "verification_uri": f"{self.base_url}activate?code={user_code}"})

    async def _users(self, request: web.Request) -> web.Response:
        token = request.headers.get("Authorization", "").partition(" ")[2]
        if token != self.access_token:
            return web.json_response(
                {"error": "Unauthorized", "status": 401, "message": "Invalid OAuth token"}, status=401)
        logins = request.query.getall("login", []) or [self.bot_login]
        return web.json_response({"data": [
            {"id": "1000" if login == self.bot_login else str(10_000 + sum(map(ord, login))), "login": login,
             "display_name": login, "type": "", "broadcaster_type": "", "description": "",
             "profile_image_url": "", "offline_image_url": "", "view_count": 0,
             "created_at": "2020-01-01T00:00:00Z"} for login in logins]})
