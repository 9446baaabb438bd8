"""Reference calls against a running tests/fastapi app: python tests/fastapi/reference.py BASE_URL OUT.json

Calls every operation of the app once or more with fixed inputs, using httpx and the app's own pydantic
models (JSON bodies from ``model_dump_json()``, responses read back with ``Model.model_validate_json``,
/binary through truss's own msgpack functions), checks each answer, and writes OUT.json: a list of

    {"name", "operation_id", "method", "path" (as sent, path parameters substituted),
     "query": [[key, value], ...] (as sent, in order), "headers": {extra request headers},
     "request_content_type": str | null, "request_body_b64": str | null (the exact bytes sent),
     "status": int, "response_content_type": str ("" when the response has none, as for 204),
     "response_body_b64": str (the exact bytes received), "python_seconds": float}

``python_seconds`` is the client-side time of the HTTP exchange alone (httpx send + read), not of building
or checking the models. Everything is deterministic; only python_seconds changes from run to run.
"""

import base64
import hashlib
import json
import sys
import time
from pathlib import Path
from typing import Any, Callable, Optional

import httpx
import numpy as np
from pydantic import TypeAdapter

sys.path.insert(0, str(Path(__file__).resolve().parent))

from app import (  # noqa: E402
    Health,
    Item,
    Mixed,
    NotFound,
    NumpydanticBlock,
    PydanticNumpyBlock,
    TagsResult,
    TesseractBlock,
    TrussBlock,
    UploadResult,
    app,
    truss_msgpack_deserialize,
    truss_msgpack_serialize,
)

JSON = "application/json"
OCTET = "application/octet-stream"


def operation_ids() -> dict[tuple[str, str], str]:
    ids = {}
    for path, ops in app.openapi()["paths"].items():
        for method, op in ops.items():
            ids[(method.upper(), path)] = op["operationId"]
    return ids


class Recorder:
    def __init__(self, base_url: str) -> None:
        self.client = httpx.Client(base_url=base_url, timeout=30.0)
        self.cases: list[dict[str, Any]] = []
        self.ids = operation_ids()

    def call(
        self,
        name: str,
        method: str,
        template: str,
        path_params: Optional[dict[str, Any]] = None,
        query: Optional[list[tuple[str, str]]] = None,
        headers: Optional[dict[str, str]] = None,
        content_type: Optional[str] = None,
        body: Optional[bytes] = None,
        expect_status: int = 200,
    ) -> httpx.Response:
        path = template.format(**(path_params or {}))
        query = query or []
        send_headers = dict(headers or {})
        if content_type is not None:
            send_headers["content-type"] = content_type
        request = self.client.build_request(
            method, path, params=query or None, headers=send_headers, content=body
        )
        sent = request.read() if body is not None else None
        start = time.perf_counter()
        response = self.client.send(request)
        response.read()
        seconds = time.perf_counter() - start
        if response.status_code != expect_status:
            raise SystemExit(
                f"{name}: {method} {path} answered {response.status_code}, expected {expect_status}: "
                f"{response.content[:500]!r}"
            )
        self.cases.append(
            {
                "name": name,
                "operation_id": self.ids[(method, template)],
                "method": method,
                "path": path,
                "query": [[k, v] for k, v in query],
                "headers": dict(headers or {}),
                "request_content_type": content_type,
                "request_body_b64": None if sent is None else base64.b64encode(sent).decode("ascii"),
                "status": response.status_code,
                "response_content_type": response.headers.get("content-type", ""),
                "response_body_b64": base64.b64encode(response.content).decode("ascii"),
                "python_seconds": seconds,
            }
        )
        return response

    def json_call(self, name: str, method: str, template: str, body: bytes, **kw: Any) -> httpx.Response:
        return self.call(name, method, template, content_type=JSON, body=body, **kw)


# ----------------------------------------------------------------------------------------------
# Fixed inputs
# ----------------------------------------------------------------------------------------------


def truss_block_a() -> TrussBlock:
    return TrussBlock(
        label="alpha",
        values=np.array([[-1.5, 0.0, 0.1], [3.25, -1e-300, 65504.0]], dtype=np.float64),
        weights=np.array([[2**53 + 1, -(2**61 + 3)], [-1, 7]], dtype=np.int64),
    )


def truss_block_b() -> TrussBlock:
    return TrussBlock(
        label="béta ✓",
        values=np.array(
            [[[0.1, -2.5], [1.0e-7, 1.0e38]], [[-0.0, 1.5], [-65504.25, 7.0]]], dtype=np.float32
        ),
        weights=None,
    )


def truss_block_c() -> TrussBlock:
    return TrussBlock(
        label="gamma",
        values=np.array([[1, -2, 3], [-16384, 16383, 0]], dtype=np.int16),
        weights=np.array([[0, 127], [100, 1]], dtype=np.uint8),
    )


def tesseract_block(k: int) -> TesseractBlock:
    return TesseractBlock(
        x=np.array([0.1 * k, -3.75, 1.0e-3, 16777216.0, -0.5 / k], dtype=np.float32),
        m=np.array([[1.5 * k, -2.0, 0.1], [1e-300, -1e300, 2.0**53 + 2]], dtype=np.float64),
        n=-k * 1000,
    )


def numpydantic_block() -> NumpydanticBlock:
    return NumpydanticBlock(
        fixed=np.array([[0.1, -2.5, 1e-7], [3.0e300, -0.0, 12345.678]], dtype=np.float64),
        free=np.array([[1, -2], [2**53 + 1, -(2**61 + 1)], [0, 2**31]], dtype=np.int64),
    )


def pydantic_numpy_block() -> PydanticNumpyBlock:
    return PydanticNumpyBlock(
        data=np.array([[1.5, -2.0, 0.1], [1e-5, -3.25, 1e16]], dtype=np.float64),
        counts=np.array([1, -3, 0, 46340, -(2**14)], dtype=np.int32),
    )


def mixed_full() -> Mixed:
    return Mixed(
        name="mixed-ü",
        kind="small",
        truss=truss_block_a(),
        numpydantic=numpydantic_block(),
        pydantic_numpy=pydantic_numpy_block(),
        tesseract=tesseract_block(1),
        blocks=[truss_block_b(), truss_block_c()],
        by_name={"first": tesseract_block(2), "zweite ü": tesseract_block(4)},
        maybe=np.array([[1, 2, 3], [32767, 0, 20000]], dtype=np.uint16),
        note="a note, with ünïcode and \"quotes\"",
    )


def mixed_minimal() -> Mixed:
    return Mixed(
        name="min",
        kind="large",
        truss=TrussBlock(label="", values=np.zeros((2, 0), dtype=np.float64)),
        numpydantic=NumpydanticBlock(
            fixed=np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), free=np.array([[-7]], dtype=np.int64)
        ),
        pydantic_numpy=PydanticNumpyBlock(
            data=np.array([[0.5]], dtype=np.float64), counts=np.array([42], dtype=np.int32)
        ),
        tesseract=TesseractBlock(
            x=np.array([], dtype=np.float32), m=np.array([[2.5]], dtype=np.float64), n=0
        ),
        blocks=[],
        by_name={},
    )


# ----------------------------------------------------------------------------------------------
# Checks of the answers (so a wrong server fails here, not only in the Rust comparison)
# ----------------------------------------------------------------------------------------------


def same(a: np.ndarray, b: np.ndarray, what: str) -> None:
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype or a.shape != b.shape or a.tobytes() != b.tobytes():
        raise SystemExit(f"{what}: got {a!r} ({a.dtype}), expected {b!r} ({b.dtype})")


def times(arr: np.ndarray, k: int) -> np.ndarray:
    return np.multiply(arr, k, dtype=arr.dtype)


def check_truss(got: TrussBlock, sent: TrussBlock, k: int, weights_k: int, what: str) -> None:
    assert got.label == sent.label, what
    same(got.values.array, times(sent.values.array, k), f"{what}.values")
    if sent.weights is None:
        assert got.weights is None, what
    else:
        same(got.weights.array, times(sent.weights.array, weights_k), f"{what}.weights")


def check_tesseract(got: TesseractBlock, sent: TesseractBlock, f: Callable, what: str) -> None:
    same(got.x, f(sent.x), f"{what}.x")
    same(got.m, f(sent.m), f"{what}.m")
    assert got.n == sent.n, what


def check_mixed(got: Mixed, sent: Mixed) -> None:
    double = lambda a: times(a, 2)  # noqa: E731
    assert got.name == sent.name + "!" and got.kind == sent.kind and got.note == sent.note
    check_truss(got.truss, sent.truss, 2, 2, "truss")
    same(got.numpydantic.fixed, double(sent.numpydantic.fixed), "numpydantic.fixed")
    same(got.numpydantic.free, double(sent.numpydantic.free), "numpydantic.free")
    same(got.pydantic_numpy.data, double(sent.pydantic_numpy.data), "pydantic_numpy.data")
    same(got.pydantic_numpy.counts, double(sent.pydantic_numpy.counts), "pydantic_numpy.counts")
    check_tesseract(got.tesseract, sent.tesseract, double, "tesseract")
    assert len(got.blocks) == len(sent.blocks)
    for i, (g, s) in enumerate(zip(got.blocks, sent.blocks)):
        check_truss(g, s, 2, 2, f"blocks[{i}]")
    assert list(got.by_name) == list(sent.by_name)
    for key in sent.by_name:
        check_tesseract(got.by_name[key], sent.by_name[key], double, f"by_name[{key}]")
    if sent.maybe is None:
        assert got.maybe is None
    else:
        same(got.maybe.array, double(sent.maybe.array), "maybe")


# ----------------------------------------------------------------------------------------------
# The cases
# ----------------------------------------------------------------------------------------------


def run(base_url: str) -> list[dict[str, Any]]:
    r = Recorder(base_url)

    resp = r.call("health", "GET", "/health")
    assert Health.model_validate_json(resp.content).status == "ok"

    resp = r.call(
        "read_item",
        "GET",
        "/items/{item_id}",
        {"item_id": 7},
        query=[("q", "hello world"), ("limit", "5")],
        headers={"x-token": "secret-token"},
    )
    item = Item.model_validate_json(resp.content)
    assert (item.item_id, item.q, item.limit, item.x_token) == (7, "hello world", 5, "secret-token")
    same(item.vector.array, np.arange(5, dtype=np.float32), "item.vector")

    resp = r.call("read_item_defaults", "GET", "/items/{item_id}", {"item_id": 1})
    item = Item.model_validate_json(resp.content)
    assert (item.item_id, item.q, item.limit, item.x_token) == (1, None, 10, None)
    same(item.vector.array, np.arange(10, dtype=np.float32), "item.vector")

    resp = r.call("read_item_404", "GET", "/items/{item_id}", {"item_id": 404}, expect_status=404)
    assert NotFound.model_validate_json(resp.content).detail == "no item 404"

    resp = r.call(
        "read_item_422",
        "GET",
        "/items/{item_id}",
        {"item_id": 7},
        query=[("limit", "0")],
        expect_status=422,
    )
    assert json.loads(resp.content)["detail"][0]["loc"] == ["query", "limit"]

    resp = r.call("delete_item", "DELETE", "/items/{item_id}", {"item_id": 3}, expect_status=204)
    assert resp.content == b""

    resp = r.call(
        "list_tags",
        "GET",
        "/tags",
        query=[("tags", "alpha"), ("tags", "beta gamma"), ("mode", "any"), ("scale", "2.5")],
    )
    tags = TagsResult.model_validate_json(resp.content)
    assert (tags.tags, tags.mode, tags.scale) == (["alpha", "beta gamma"], "any", 2.5)

    resp = r.call("list_tags_defaults", "GET", "/tags")
    tags = TagsResult.model_validate_json(resp.content)
    assert (tags.tags, tags.mode, tags.scale) == ([], "all", 1.0)

    for name, mixed in (("transform_mixed", mixed_full()), ("transform_mixed_minimal", mixed_minimal())):
        resp = r.json_call(name, "POST", "/mixed", mixed.model_dump_json().encode())
        check_mixed(Mixed.model_validate_json(resp.content), mixed)

    blocks = [tesseract_block(1), tesseract_block(3)]
    adapter = TypeAdapter(list[TesseractBlock])
    resp = r.json_call(
        "negate_blocks",
        "POST",
        "/blocks",
        # base64 buffers in the request (tesseract's Array accepts json, base64 and binref);
        # the app always answers with json buffers.
        adapter.dump_json(blocks, context={"array_encoding": "base64"}),
        expect_status=201,
    )
    got = TypeAdapter(dict[str, TesseractBlock]).validate_json(resp.content)
    assert list(got) == ["0", "1"]
    for i, sent in enumerate(blocks):
        check_tesseract(got[str(i)], sent, np.negative, f"blocks[{i}]")

    nd = numpydantic_block()
    resp = r.json_call("shift_numpydantic", "PUT", "/numpydantic", nd.model_dump_json().encode())
    got_nd = NumpydanticBlock.model_validate_json(resp.content)
    same(got_nd.fixed, np.add(nd.fixed, 0.5, dtype=nd.fixed.dtype), "numpydantic.fixed")
    same(got_nd.free, np.ascontiguousarray(nd.free.T), "numpydantic.free")

    pn = pydantic_numpy_block()
    resp = r.json_call("square_pydantic_numpy", "POST", "/pydantic-numpy", pn.model_dump_json().encode())
    got_pn = PydanticNumpyBlock.model_validate_json(resp.content)
    same(got_pn.data, pn.data * pn.data, "pydantic_numpy.data")
    same(got_pn.counts, pn.counts * pn.counts, "pydantic_numpy.counts")

    for name, block in (("triple_binary", truss_block_a()), ("triple_binary_no_weights", truss_block_b())):
        body = truss_msgpack_serialize(block.model_dump(mode="python"))
        resp = r.call(name, "POST", "/binary", content_type=OCTET, body=body)
        assert resp.headers["content-type"] == OCTET
        got_tb = TrussBlock.model_validate(truss_msgpack_deserialize(resp.content))
        check_truss(got_tb, block, 3, 1, name)

    payload = bytes(i % 256 for i in range(1000))
    resp = r.call("upload", "POST", "/upload", content_type=OCTET, body=payload)
    up = UploadResult.model_validate_json(resp.content)
    assert (up.length, up.sha256) == (1000, hashlib.sha256(payload).hexdigest())

    resp = r.call("raw_bytes", "GET", "/raw/{name}", {"name": "ab"})
    assert resp.content == b"ababab" and resp.headers["content-type"] == OCTET

    values = [1.5, -2.25, 0.1, 1e20, -0.0]
    resp = r.json_call("echo_list", "POST", "/echo-list", json.dumps(values, separators=(",", ":")).encode())
    assert TypeAdapter(list[float]).validate_json(resp.content) == [v + 1 for v in values]

    resp = r.call("version", "GET", "/version")
    assert resp.text == "1.0.0" and resp.headers["content-type"].startswith("text/plain")

    return r.cases


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit("usage: reference.py BASE_URL OUT.json")
    cases = run(sys.argv[1])
    Path(sys.argv[2]).write_text(json.dumps(cases, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
