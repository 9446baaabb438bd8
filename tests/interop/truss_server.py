"""A tiny chainlet-style HTTP endpoint built on truss's own serialization: it decodes a
request the way truss's server does (JSON with pydantic + NumpyArrayField, or msgpack via
`truss_msgpack_deserialize` when Content-Type is application/octet-stream), runs a small
function, and answers in the request's mode with truss's serializers.

usage: python truss_server.py PORTFILE      (writes the chosen 127.0.0.1 port to PORTFILE)

The model: Inputs {x: NumpyArrayField, scale: float, tag: str, blob: bytes};
           Outputs {y: NumpyArrayField (= x * scale, same dtype), tag: str, nbytes: int}.
"""
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pydantic
from truss.templates.shared import serialization as ts
from truss_chains.pydantic_numpy import NumpyArrayField


class Inputs(pydantic.BaseModel):
    x: NumpyArrayField
    scale: float
    tag: str
    blob: bytes


class Outputs(pydantic.BaseModel):
    y: NumpyArrayField
    tag: str
    nbytes: int


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        binary = self.headers.get("Content-Type", "").split(";")[0].strip().lower() == "application/octet-stream"
        try:
            if binary:
                inputs = Inputs.model_validate(ts.truss_msgpack_deserialize(body))
            else:
                inputs = Inputs.model_validate_json(body)
        except Exception as e:  # truss answers client errors with 4xx
            self.send_response(422)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(('{"error": %r}' % str(e)).replace("'", '"').encode())
            return
        x = inputs.x.array
        out = Outputs(y=NumpyArrayField((x * inputs.scale).astype(x.dtype)), tag=inputs.tag, nbytes=len(inputs.blob))
        if binary:
            data = ts.truss_msgpack_serialize(out.model_dump(mode="python"))
            ctype = "application/octet-stream"
        else:
            data = out.model_dump_json().encode()
            ctype = "application/json"
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(sys.argv[1], "w") as f:
        f.write(str(server.server_address[1]))
    server.serve_forever()


if __name__ == "__main__":
    main()
