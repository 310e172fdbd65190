"""The REST service's defence against clients that are slow on purpose: a deadline for a request's headers.

uvicorn closes a keep-alive connection that stays silent, but not one that sends part of its headers and then
nothing (slowloris): every such connection counts against the concurrency limit, so a few thousand of them would
turn every other client away with 503 for good. Here each connection must finish a request's headers within
`header_timeout_s` of the connection opening (or of the previous response); otherwise it is answered 408 and
closed. The body's own deadline, and its size, are app.py's `BodyLimit`; uvicorn's options are set in app.py's
`serve`, from RestConfig (docs/reliability.md, "Resource limits").
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.h11_impl import H11Protocol

_TIMEOUT_BODY = b"the request headers did not arrive in time"
_TIMEOUT_RESPONSE = (b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain\r\nconnection: close\r\n"
                     b"content-length: %d\r\n\r\n%s" % (len(_TIMEOUT_BODY), _TIMEOUT_BODY))


def header_deadline_protocol(header_timeout_s: float) -> type[H11Protocol]:
    """uvicorn's h11 protocol with a deadline for each request's headers, for `uvicorn.run(http=...)`."""

    class HeaderDeadline(H11Protocol):
        _deadline: asyncio.TimerHandle | None = None

        def _waiting_for_headers(self) -> bool:
            return self.cycle is None or self.cycle.response_complete

        def _arm(self) -> None:
            if self._deadline is None:
                self._deadline = self.loop.call_later(header_timeout_s, self._expire)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _expire(self) -> None:
            self._deadline = None
            if self._waiting_for_headers() and not self.transport.is_closing():
                self.transport.write(_TIMEOUT_RESPONSE)
                self.transport.close()

        def connection_made(self, transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def data_received(self, data: bytes) -> None:
            if self._waiting_for_headers():
                self._arm()  # the next request's headers start arriving now (the first one's at connection_made)
            super().data_received(data)
            if not self._waiting_for_headers():
                self._disarm()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._disarm()  # a silent keep-alive connection is uvicorn's timeout_keep_alive's to close

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

    return HeaderDeadline
