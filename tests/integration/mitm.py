"""
mitm.py -- a server that lies: an HTTP proxy in front of a real posternd that hands every JSON answer to a
rewrite function before the client sees it, and records every request the client makes.  The malicious-server
tests (t23) point a real postern client at it to play what a patched posternd could answer; edits of the
server's own database play what an operator with the database could do.  Plain HTTP/1.1 requests only (no
event streams).  Test tooling: nothing here runs in the product.
"""
import http.client
import http.server
import json
import threading


class Mitm:
    """Mitm(port).start() -> listens on 127.0.0.1:<self.port>, forwards to 127.0.0.1:<port>.

    rewrite(method, path, status, body) -> body   may change any parsed JSON answer (None: none was JSON)
    requests                                      [(method, path, parsed JSON body or None)] in order
    """

    def __init__(self, upstream_port, rewrite=None):
        self.upstream = upstream_port
        self.rewrite = rewrite or (lambda method, path, status, body: body)
        self.requests = []
        self.lock = threading.Lock()
        mitm = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def relay(self):
                n = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(n) if n else None
                try:
                    sent = json.loads(raw) if raw else None
                except ValueError:
                    sent = None
                with mitm.lock:
                    mitm.requests.append((self.command, self.path, sent))
                conn = http.client.HTTPConnection("127.0.0.1", mitm.upstream, timeout=60)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length", "connection")}
                conn.request(self.command, self.path, body=raw, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                status = resp.status
                ctype = resp.getheader("Content-Type", "")
                if ctype.startswith("application/json") and data:
                    body = mitm.rewrite(self.command, self.path, status, json.loads(data))
                    data = json.dumps(body).encode()
                conn.close()
                self.send_response(status)
                for k, v in resp.getheaders():
                    if k.lower() not in ("content-length", "connection", "transfer-encoding"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = relay

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]

    def start(self):
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
