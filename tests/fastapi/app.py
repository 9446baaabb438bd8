"""A FastAPI app written as test data for arraymodel (not a copy of any upstream project).

Its models use the four numpy-array families arraymodel speaks:

- truss chains' ``NumpyArrayField``  -> ``{"data_b64", "shape", "dtype"}`` in JSON, msgpack-numpy in binary mode
- numpydantic ``NDArray[Shape[...], dtype]``  -> nested lists
- pydantic-numpy ``NpNDArrayFp64`` / ``Np1DArrayInt32``  -> ``{"data_type", "data", "shape"}``
- tesseract-core ``Array[shape, dtype]``  -> ``{"object_type": "array", "shape", "dtype", "data": {...}}``

The Rust test suite serves it with uvicorn (``python -m uvicorn app:app --app-dir tests/fastapi``),
generates a client from its ``openapi.json`` (``openapi.py``) and compares the client's results with
``reference.py`` (httpx + these pydantic models). Everything is deterministic: no randomness, no clock.

truss is installed with ``--no-deps`` in the test venv (its dependency tree conflicts with
tesseract-core[runtime]'s), so ``import truss_chains`` would fail on truss's client dependencies.
``truss_file`` below loads the two self-contained truss modules that matter here straight from the
installed truss distribution, without running the ``truss``/``truss_chains`` package ``__init__``s:
``truss_chains/pydantic_numpy.py`` (``NumpyArrayField``) and ``truss/templates/shared/serialization.py``
(``truss_msgpack_serialize`` / ``truss_msgpack_deserialize``, what chains' ``use_binary`` mode sends).
"""

import hashlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Literal, Optional

import numpy as np
from fastapi import Body, FastAPI, Header, Query, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from numpydantic import NDArray, Shape
from pydantic import BaseModel
from pydantic_numpy.typing import Np1DArrayInt32, NpNDArrayFp64
from tesseract_core.runtime import Array, Float32, Float64


def truss_file(package: str, relpath: str, module_name: str) -> ModuleType:
    """Load ``<site-packages>/<package>/<relpath>`` as ``module_name`` without importing ``package``."""
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.find_spec(package)  # a top-level find_spec does not run the package __init__
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(f"{package} is not installed (scripts/requirements-fastapi.nodeps.txt)")
    path = Path(list(spec.submodule_search_locations)[0]) / relpath
    file_spec = importlib.util.spec_from_file_location(module_name, path)
    assert file_spec is not None and file_spec.loader is not None
    module = importlib.util.module_from_spec(file_spec)
    sys.modules[module_name] = module
    file_spec.loader.exec_module(module)
    return module


NumpyArrayField = truss_file(
    "truss_chains", "pydantic_numpy.py", "truss_chains.pydantic_numpy"
).NumpyArrayField
truss_serialization = truss_file(
    "truss", "templates/shared/serialization.py", "truss.templates.shared.serialization"
)
truss_msgpack_serialize = truss_serialization.truss_msgpack_serialize
truss_msgpack_deserialize = truss_serialization.truss_msgpack_deserialize

OCTET = "application/octet-stream"

# ----------------------------------------------------------------------------------------------
# Models
# ----------------------------------------------------------------------------------------------


class TrussBlock(BaseModel):
    label: str
    values: NumpyArrayField
    weights: Optional[NumpyArrayField] = None


class NumpydanticBlock(BaseModel):
    # float64, not float32: numpydantic checks the dtype of np.array(json_list), which is always
    # float64 for JSON numbers, so an NDArray[..., np.float32] field rejects the nested lists it writes
    # itself ("Invalid dtype! expected <class 'numpy.float32'>, got float64", 422); only its round-trip
    # form {"type": "numpy", "dtype": "float32", "value": ..., "shape": ...} would be accepted.
    fixed: NDArray[Shape["2, 3"], np.float64]
    free: NDArray[Shape["*, *"], np.int64]


class PydanticNumpyBlock(BaseModel):
    data: NpNDArrayFp64
    counts: Np1DArrayInt32


class TesseractBlock(BaseModel):
    x: Array[(None,), Float32]
    m: Array[(None, None), Float64]
    n: int


class Mixed(BaseModel):
    name: str
    kind: Literal["small", "large"]
    truss: TrussBlock
    numpydantic: NumpydanticBlock
    pydantic_numpy: PydanticNumpyBlock
    tesseract: TesseractBlock
    blocks: list[TrussBlock]
    by_name: dict[str, TesseractBlock]
    maybe: Optional[NumpyArrayField] = None
    note: Optional[str] = None


class Health(BaseModel):
    status: str


class Item(BaseModel):
    item_id: int
    q: Optional[str] = None
    limit: int
    x_token: Optional[str] = None
    vector: NumpyArrayField


class NotFound(BaseModel):
    detail: str


class TagsResult(BaseModel):
    tags: list[str]
    mode: Literal["all", "any"]
    scale: float


class UploadResult(BaseModel):
    length: int
    sha256: str


# ----------------------------------------------------------------------------------------------
# Array helpers (every result keeps its input's dtype)
# ----------------------------------------------------------------------------------------------


def times(arr: np.ndarray, k: int) -> np.ndarray:
    return np.multiply(arr, k, dtype=arr.dtype)


def double_truss(block: TrussBlock) -> TrussBlock:
    return TrussBlock(
        label=block.label,
        values=times(block.values.array, 2),
        weights=None if block.weights is None else times(block.weights.array, 2),
    )


def double_tesseract(block: TesseractBlock) -> TesseractBlock:
    return TesseractBlock(x=times(block.x, 2), m=times(block.m, 2), n=block.n)


def negate_tesseract(block: TesseractBlock) -> TesseractBlock:
    return TesseractBlock(x=np.negative(block.x), m=np.negative(block.m), n=block.n)


# ----------------------------------------------------------------------------------------------
# App
# ----------------------------------------------------------------------------------------------

app = FastAPI(title="arraymodel test app", version="1.0.0")


@app.get("/health", response_model=Health)
def health() -> Health:
    return Health(status="ok")


@app.get("/items/{item_id}", response_model=Item, responses={404: {"model": NotFound}})
def read_item(
    item_id: int,
    q: Optional[str] = None,
    limit: int = Query(10, ge=1, le=1000),
    x_token: Optional[str] = Header(None),
):
    if item_id == 404:
        return JSONResponse(status_code=404, content=NotFound(detail=f"no item {item_id}").model_dump())
    return Item(
        item_id=item_id,
        q=q,
        limit=limit,
        x_token=x_token,
        vector=np.arange(limit, dtype=np.float32),
    )


@app.delete("/items/{item_id}", status_code=204)
def delete_item(item_id: int) -> Response:
    return Response(status_code=204)


@app.get("/tags", response_model=TagsResult)
def list_tags(
    tags: list[str] = Query(default=[]),
    mode: Literal["all", "any"] = "all",
    scale: float = 1.0,
) -> TagsResult:
    return TagsResult(tags=tags, mode=mode, scale=scale)


@app.post("/mixed", response_model=Mixed, operation_id="transform_mixed")
def transform_mixed(body: Mixed) -> Mixed:
    return Mixed(
        name=body.name + "!",
        kind=body.kind,
        truss=double_truss(body.truss),
        numpydantic=NumpydanticBlock(
            fixed=times(body.numpydantic.fixed, 2), free=times(body.numpydantic.free, 2)
        ),
        pydantic_numpy=PydanticNumpyBlock(
            data=times(body.pydantic_numpy.data, 2), counts=times(body.pydantic_numpy.counts, 2)
        ),
        tesseract=double_tesseract(body.tesseract),
        blocks=[double_truss(b) for b in body.blocks],
        by_name={k: double_tesseract(v) for k, v in body.by_name.items()},
        maybe=None if body.maybe is None else times(body.maybe.array, 2),
        note=body.note,
    )


@app.post("/blocks", response_model=dict[str, TesseractBlock], status_code=201)
def negate_blocks(blocks: list[TesseractBlock] = Body()) -> dict[str, TesseractBlock]:
    return {str(i): negate_tesseract(b) for i, b in enumerate(blocks)}


@app.put("/numpydantic", response_model=NumpydanticBlock)
def shift_numpydantic(body: NumpydanticBlock) -> NumpydanticBlock:
    return NumpydanticBlock(
        fixed=np.add(body.fixed, 0.5, dtype=body.fixed.dtype),
        free=np.ascontiguousarray(body.free.T),
    )


@app.post("/pydantic-numpy", response_model=PydanticNumpyBlock)
def square_pydantic_numpy(body: PydanticNumpyBlock) -> PydanticNumpyBlock:
    return PydanticNumpyBlock(
        data=np.multiply(body.data, body.data, dtype=body.data.dtype),
        counts=np.multiply(body.counts, body.counts, dtype=body.counts.dtype),
    )


@app.post(
    "/binary",
    response_class=Response,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {OCTET: {"schema": {"$ref": "#/components/schemas/TrussBlock"}}},
        }
    },
    responses={
        200: {
            "description": "msgpack (msgpack-numpy arrays) of a TrussBlock, as truss chains' binary mode",
            "content": {OCTET: {"schema": {"$ref": "#/components/schemas/TrussBlock"}}},
        }
    },
)
async def triple_binary(request: Request) -> Response:
    # Truss's server: msgpack body in, `Model.model_validate(truss_msgpack_deserialize(body))`,
    # result `truss_msgpack_serialize(result.model_dump(mode="python"))` out, both octet-stream.
    block = TrussBlock.model_validate(truss_msgpack_deserialize(await request.body()))
    result = TrussBlock(
        label=block.label,
        values=times(block.values.array, 3),
        weights=None if block.weights is None else block.weights.array,
    )
    return Response(content=truss_msgpack_serialize(result.model_dump(mode="python")), media_type=OCTET)


@app.post(
    "/upload",
    response_model=UploadResult,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {OCTET: {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def upload(request: Request) -> UploadResult:
    data = await request.body()
    return UploadResult(length=len(data), sha256=hashlib.sha256(data).hexdigest())


@app.get(
    "/raw/{name}",
    response_class=Response,
    responses={
        200: {
            "description": "the name's UTF-8 bytes, three times",
            "content": {OCTET: {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
def raw_bytes(name: str) -> Response:
    return Response(content=name.encode() * 3, media_type=OCTET)


@app.post("/echo-list", response_model=list[float])
def echo_list(values: list[float] = Body()) -> list[float]:
    return [v + 1 for v in values]


@app.get("/version", response_class=PlainTextResponse)
def version() -> str:
    return "1.0.0"


@app.post("/echo-truss", response_model=TrussBlock, operation_id="echo_truss")
def echo_truss(body: TrussBlock) -> TrussBlock:
    # For bench/client-compare: the block back unchanged (JSON, truss `data_b64` arrays).
    return body


@app.post(
    "/echo-binary",
    response_class=Response,
    operation_id="echo_binary",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {OCTET: {"schema": {"$ref": "#/components/schemas/TrussBlock"}}},
        }
    },
    responses={
        200: {
            "description": "the same TrussBlock, msgpack (msgpack-numpy arrays) as truss chains' binary mode",
            "content": {OCTET: {"schema": {"$ref": "#/components/schemas/TrussBlock"}}},
        }
    },
)
async def echo_binary(request: Request) -> Response:
    # For bench/client-compare: as /binary (truss's server path, validate then dump), values unchanged.
    block = TrussBlock.model_validate(truss_msgpack_deserialize(await request.body()))
    return Response(content=truss_msgpack_serialize(block.model_dump(mode="python")), media_type=OCTET)


# TrussBlock is reachable through Mixed, so FastAPI puts it in components/schemas. This keeps the
# /binary operation's $ref valid even if no JSON operation used TrussBlock any more.
_fastapi_openapi = app.openapi


def _openapi_with_truss_block() -> dict:
    if app.openapi_schema is None:
        schema = _fastapi_openapi()
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        schemas.setdefault("TrussBlock", TrussBlock.model_json_schema(ref_template="#/components/schemas/{model}"))
        app.openapi_schema = schema
    return app.openapi_schema


app.openapi = _openapi_with_truss_block  # type: ignore[method-assign]
