"""Re-captures tests/data/peers/tesseract from a live `tesseract-runtime serve` of the pinned venv.

    .cache/venvs/tesseract/bin/python tests/interop/capture_tesseract.py DIR

(`scripts/capture-peers.sh` runs it.) DIR holds the inputs of each capture, which this program only
reads: `NAME.request.json` (the exact bytes to send), the first lines of `NAME.meta` (`METHOD <verb>
<path>` and the `Accept:` header, if any) and the binref input files (`*/binref_input_dir/`). It starts
one server per API of `tests/apis/` (vectoradd for `vectoradd/` and `errors/`, dtypes for `dtypes/`
and `dtypes/edge/`) in a scratch folder laid out as the original run was (`<scratch>/tess/srv_va/{in,out}`,
`<scratch>/tess/outside.bin` for the binref escapes), sends every request with the stdlib's
http.client and rewrites from the answers:

- `NAME.response.body`: the bytes received, the scratch folder written `<scratch>`;
- the `STATUS` line of `NAME.meta`;
- `*/binref_output_dir/run_<id>/*.bin`: the files the server wrote for the runs kept there;
- `*/schemas_apply.json`: the Apply schemas of `openapi.json`, and `pip-freeze.txt`.

Binref responses name a fresh uuid4 file on every run (`run_<id>/<uuid>.bin`); everything else comes
back byte for byte (see tests/data/README.md).
"""

import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# folder -> the API its captures were sent to
SUITES = {"vectoradd": "vectoradd", "errors": "vectoradd", "dtypes": "dtypes", "dtypes/edge": "dtypes"}
# server folder names in the scratch (error messages quote them)
SERVER_DIR = {"vectoradd": "srv_va", "dtypes": "srv_dt"}
# where each server's binref inputs come from
INPUTS = {"vectoradd": "vectoradd/binref_input_dir", "dtypes": "dtypes/binref_input_dir"}

# The captures whose request is not in the folder; their .meta is a note written by hand and kept.
VA_REQUEST = "vectoradd/apply_in-json_out-json.request.json"
SPECIAL = {
    # a body FastAPI cannot read as JSON
    "errors/wrong_content_type": dict(method="POST", path="/apply?run_id=err", body=VA_REQUEST,
                                      headers={"Content-Type": "text/plain"}),
    # the run id is joined to the output folder unchecked: the .bin lands outside it
    "errors/run_id_traversal": dict(method="POST", path="/apply?run_id=/../../escaped_run2", body=VA_REQUEST,
                                    headers={"Content-Type": "application/json", "Accept": "application/json+binref"}),
}
# a and b of different lengths: vectoradd's own assert fails (500)
USER_CODE_EXCEPTION = json.dumps({"inputs": {
    "a": {"object_type": "array", "shape": [3], "dtype": "float64", "data": {"buffer": [1.0, 2.0, 3.0], "encoding": "json"}},
    "b": {"object_type": "array", "shape": [2], "dtype": "float64", "data": {"buffer": [1.0, 2.0], "encoding": "json"}},
}}, separators=(",", ":")).encode()

# Python's string hashing seed for the servers: vectoradd's jacobian iterates a set of input names,
# so the key order of its answer follows the hashes; 29 gives the order of the committed capture.
HASH_SEED = "29"

APPLY_SCHEMAS = ["ApplyInputSchema", "Apply_InputSchema", "ApplyOutputSchema", "Apply_OutputSchema"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, api, scratch, data):
        self.root = scratch / "tess" / SERVER_DIR[api]
        self.input = self.root / "in"
        self.output = self.root / "out"
        shutil.copytree(data / INPUTS[api], self.input)
        self.output.mkdir(parents=True)
        self.port = free_port()
        self.log = open(scratch / f"{api}.log", "wb")
        env = dict(os.environ, PYTHONHASHSEED=HASH_SEED,
                   TESSERACT_API_PATH=str(REPO / "tests/apis" / api / "tesseract_api.py"))
        exe = Path(sys.executable).parent / "tesseract-runtime"
        self.proc = subprocess.Popen(
            [str(exe), "--input-path", str(self.input), "--output-path", str(self.output),
             "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=self.root, env=env, stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                sys.exit(f"tesseract-runtime ({api}) exited; log in {self.log.name}")
            try:
                if self.request("GET", "/health", None, {})[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        sys.exit(f"tesseract-runtime ({api}) not healthy after 60 s")

    def request(self, method, path, body, headers):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers)
            r = conn.getresponse()
            return r.status, r.read()
        finally:
            conn.close()

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def parse_meta(text):
    """(method, path, accept) from `METHOD <verb> <path>` and `Accept: ...`; None for a hand-written note."""
    lines = text.splitlines()
    m = re.fullmatch(r"METHOD (\S+) (\S+)", lines[0]) if lines else None
    if not m or not any(line.startswith("STATUS ") for line in lines):
        return None
    accept = next((line[len("Accept: "):] for line in lines if line.startswith("Accept: ")), None)
    return m.group(1), m.group(2), accept


def capture(data, scratch, servers):
    tag = str(scratch).encode()
    count = 0
    for suite, api in SUITES.items():
        folder = data / suite
        for meta in sorted(folder.glob("*.meta")):
            name = meta.name[: -len(".meta")]
            key = f"{suite}/{name}"
            text = meta.read_text()
            req = folder / f"{name}.request.json"
            parsed = parse_meta(text)
            if key in SPECIAL:
                s = SPECIAL[key]
                method, path, headers = s["method"], s["path"], dict(s["headers"])
                body = (data / s["body"]).read_bytes()
            elif parsed is None:
                sys.exit(f"{meta}: no METHOD/STATUS lines and no entry in SPECIAL")
            else:
                method, path, accept = parsed
                headers = {} if accept is None else {"Accept": accept}
                if req.exists():
                    body = req.read_bytes()
                elif key == "errors/user_code_exception_500":
                    body = USER_CODE_EXCEPTION
                else:
                    body = None
                if body is not None:
                    headers["Content-Type"] = "application/json"
            if body is not None:
                body = body.replace(b"<scratch>", tag)
            status, answer = servers[api].request(method, path, body, headers)
            (folder / f"{name}.response.body").write_bytes(answer.replace(tag, b"<scratch>"))
            if parsed is not None:
                meta.write_text(re.sub(r"(?m)^STATUS .*$", f"STATUS {status}", text))
            count += 1
    return count


def copy_binref_outputs(data, servers):
    """The .bin files of the runs the folder keeps (`binref_output_dir/run_<id>/`), uuid names and all."""
    for api, server in servers.items():
        kept = data / api / "binref_output_dir"
        for run in sorted(kept.glob("run_*")) if kept.exists() else []:
            for old in run.glob("*.bin"):
                old.unlink()
            written = sorted((server.output / run.name).glob("*.bin"))
            if not written:
                sys.exit(f"{api}: the server wrote no .bin file for {run.name}")
            for f in written:
                shutil.copyfile(f, run / f.name)


def schemas_apply(data):
    for api in ["vectoradd", "dtypes"]:
        schemas = json.loads((data / api / "openapi.response.body").read_bytes())["components"]["schemas"]
        names = APPLY_SCHEMAS + [k for k in schemas if k.startswith("Apply_") and k not in APPLY_SCHEMAS]
        (data / api / "schemas_apply.json").write_text(json.dumps({k: schemas[k] for k in names}, indent=1))


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: capture_tesseract.py DIR   (DIR: tests/data/peers/tesseract or a copy of it)")
    data = Path(sys.argv[1]).resolve()
    with tempfile.TemporaryDirectory(prefix="tess-capture-") as tmp:
        scratch = Path(tmp).resolve()
        (scratch / "tess").mkdir()
        # what `../../outside.bin`, the absolute path and the file:// URL point at: a = [10, 20, 30]
        import struct
        (scratch / "tess" / "outside.bin").write_bytes(struct.pack("<3d", 10.0, 20.0, 30.0))
        servers = {}
        try:
            for api in ["vectoradd", "dtypes"]:
                servers[api] = Server(api, scratch, data)
            n = capture(data, scratch, servers)
            copy_binref_outputs(data, servers)
        finally:
            for s in servers.values():
                s.stop()
        schemas_apply(data)
    freeze = subprocess.run([sys.executable, "-m", "pip", "freeze", "--disable-pip-version-check"],
                            check=True, capture_output=True, text=True).stdout
    (data / "pip-freeze.txt").write_text(freeze)
    print(f"tesseract: {n} captures re-sent in {data}")


if __name__ == "__main__":
    main()
