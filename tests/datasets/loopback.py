"""A loopback HTTP server for download tests: serves bytes from a dict, honours `Range`, and can misbehave.

Used by tests/datasets and tests/utils/test_file_utils.py (loaded by path there), never reaching the internet.
"""

import http.server
import threading


class Loopback:
    """Serves `files[name]` at `/<name>` on 127.0.0.1, recording each request's path and Range header.

    - `drop_after[name] = n`: the next response for `name` announces the full length, sends `n` bytes of the body
      and closes the connection (a dropped download); the entry is then removed.
    - `no_range`: names whose requests ignore `Range` and get the whole file with status 200.
    """

    def __init__(self):
        self.files, self.drop_after, self.no_range, self.requests = {}, {}, set(), []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                owner._serve(self)

            def log_message(self, *args):
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)
        self._thread.start()

    @property
    def base(self):
        return f"http://127.0.0.1:{self._server.server_address[1]}/"

    def url(self, name):
        return self.base + name

    def close(self):
        self._server.shutdown()
        self._server.server_close()

    def _serve(self, handler):
        name = handler.path.lstrip("/")
        byte_range = handler.headers.get("Range")
        self.requests.append((name, byte_range))
        if name not in self.files:
            handler.send_error(404, "Not Found")
            return
        data, start = self.files[name], 0
        if byte_range and name not in self.no_range:
            start = int(byte_range.removeprefix("bytes=").split("-")[0])
            if start >= len(data):
                handler.send_error(416, "Range Not Satisfiable")
                return
            handler.send_response(206)
            handler.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            handler.send_response(200)
        body = data[start:]
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        cut = self.drop_after.pop(name, None)
        handler.wfile.write(body if cut is None else body[:cut])
        handler.wfile.flush()
        handler.close_connection = True
