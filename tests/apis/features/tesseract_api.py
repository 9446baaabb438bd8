# Tesseract exercising what a real pydantic API uses beyond flat arrays: nested models,
# optional arrays, lists and dicts of arrays, Literal enums, a bytes field and defaults.
# tests/tests/fresh_schema.rs asks `tesseract-runtime openapi-schema` for its openapi.json at
# test time, generates Rust from it and calls this API with the generated client.
from typing import Literal, Optional

import numpy as np
from pydantic import BaseModel, Field

from tesseract_core.runtime import Array, Differentiable, Float32, Float64, Int64


class Point(BaseModel):
    """A labelled point in the plane."""

    xy: Array[(2,), Float64]
    label: str = "p"


class Mesh(BaseModel):
    vertices: Array[(None, 3), Float32] = Field(description="Vertex coordinates, one row per vertex")
    faces: Optional[Array[(None, 3), Int64]] = Field(default=None, description="Triangles")
    points: list[Point] = Field(default_factory=list)


class Summary(BaseModel):
    n_points: int
    point_labels: list[str]
    centroid: Array[(3,), Float32]
    n_faces: Optional[int] = None


class InputSchema(BaseModel):
    x: Differentiable[Array[(None,), Float64]] = Field(description="The main input vector")
    scale: Differentiable[Float64] = Field(default=2.0, description="Multiplies x")
    mode: Literal["sum", "mean", "max"] = "sum"
    kind: Literal["alpha", "beta"]
    mesh: Mesh
    mask: Optional[Array[(None,), "bool"]] = None
    weights: Optional[Array[(None,), Float64]] = None
    stack: list[Array[(None,), Float64]] = Field(default_factory=list)
    named: dict[str, Array[..., Float64]] = Field(default_factory=dict)
    blob: bytes = b""
    tags: list[str] = Field(default_factory=list)
    count: int = 3


class OutputSchema(BaseModel):
    y: Differentiable[Array[(None,), Float64]] = Field(description="scale * x")
    reduced: Float64 = Field(description="x reduced by mode")
    mode: Literal["sum", "mean", "max"]
    kind: Literal["alpha", "beta"]
    summary: Summary
    masked: Optional[Array[(None,), Float64]] = Field(default=None, description="x where mask")
    weighted: Optional[Array[(None,), Float64]] = None
    stack_sums: list[Float64]
    named_sizes: dict[str, int]
    named_doubled: dict[str, Array[..., Float64]]
    blob: bytes
    blob_len: int
    tags: list[str]
    count: int


def apply(inputs: InputSchema) -> OutputSchema:
    x = inputs.x
    reduce = {"sum": np.sum, "mean": np.mean, "max": np.max}[inputs.mode]
    mesh = inputs.mesh
    return OutputSchema(
        y=inputs.scale * x,
        reduced=reduce(x),
        mode=inputs.mode,
        kind=inputs.kind,
        summary=Summary(
            n_points=len(mesh.points),
            point_labels=[p.label for p in mesh.points],
            centroid=mesh.vertices.mean(axis=0).astype("float32"),
            n_faces=None if mesh.faces is None else int(mesh.faces.shape[0]),
        ),
        masked=None if inputs.mask is None else x[inputs.mask],
        weighted=None if inputs.weights is None else x * inputs.weights,
        stack_sums=[np.sum(a) for a in inputs.stack],
        named_sizes={k: int(np.size(v)) for k, v in inputs.named.items()},
        named_doubled={k: 2 * v for k, v in inputs.named.items()},
        blob=inputs.blob[::-1],
        blob_len=len(inputs.blob),
        tags=sorted(inputs.tags),
        count=inputs.count + 1,
    )


def jacobian(inputs: InputSchema, jac_inputs: set[str], jac_outputs: set[str]):
    n = inputs.x.shape[0]
    out = {}
    for o in jac_outputs:
        out[o] = {}
        for i in jac_inputs:
            if i == "x":
                out[o][i] = inputs.scale * np.eye(n)
            elif i == "scale":
                out[o][i] = inputs.x.copy()
    return out
