# Tesseract with nested models, optional arrays, a dict of arrays, Literal enums and
# differentiable outputs, used to compare the Rust server with tesseract-runtime.
# A Rust twin implements the same spec: keep every float operation and its order as is
# (reductions are explicit loops over Python floats) so both give bit-identical answers.
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field

from tesseract_core.runtime import Array, Differentiable, Float32, Float64, Int64, ShapeDType
from tesseract_core.runtime.schema_types import Bool


class Settings(BaseModel):
    mode: Literal["fast", "accurate"] = Field(default="fast", description="How to compute")
    scale: Differentiable[Float64] = Field(description="Multiplier for x")


class InputSchema(BaseModel):
    x: Differentiable[Array[(None, 3), Float64]] = Field(description="Points")
    settings: Settings = Field(description="Settings")
    weights: dict[str, Array[(None,), Float32]] = Field(description="Named weight vectors")
    offset: Differentiable[Array[(3,), Float64]] | None = Field(
        default=None, description="Added to every point"
    )
    mask: Array[(None,), Bool] | None = Field(default=None, description="Rows to count")
    label: str = Field(default="run", description="A label")


class Summary(BaseModel):
    count: int = Field(description="Rows counted")
    mode: Literal["fast", "accurate"] = Field(description="The mode used")
    label: str = Field(description="The label")


class OutputSchema(BaseModel):
    y: Differentiable[Array[(None, 3), Float64]] = Field(description="scale*x + offset")
    first_row_sum: Differentiable[Float64] = Field(description="y[0,0] + y[0,1] + y[0,2]")
    doubled: dict[str, Array[(None,), Float32]] = Field(description="Each weight vector times 2")
    summary: Summary = Field(description="Summary")
    masked_rows: Array[(None,), Int64] | None = Field(
        default=None, description="Indices of the rows mask selects"
    )


def apply(inputs: InputSchema) -> OutputSchema:
    n = inputs.x.shape[0]
    if n == 0:
        raise ValueError("x must have at least one row")
    x = inputs.x
    s = inputs.settings.scale
    y = s * x
    if inputs.offset is not None:
        y = y + inputs.offset
    first_row_sum = y[0, 0] + y[0, 1] + y[0, 2]
    doubled = {k: w * np.float32(2) for k, w in inputs.weights.items()}
    mask = inputs.mask
    summary = Summary(
        count=int(mask.sum()) if mask is not None else n,
        mode=inputs.settings.mode,
        label=inputs.label,
    )
    masked_rows = np.nonzero(mask)[0].astype(np.int64) if mask is not None else None
    return OutputSchema(
        y=y,
        first_row_sum=first_row_sum,
        doubled=doubled,
        summary=summary,
        masked_rows=masked_rows,
    )


def jacobian(inputs: InputSchema, jac_inputs: set[str], jac_outputs: set[str]):
    n = inputs.x.shape[0]
    x = inputs.x
    s = inputs.settings.scale
    out = {}
    for o in jac_outputs:
        out[o] = {}
        for i in jac_inputs:
            if o == "y" and i == "x":
                jac = np.zeros((n, 3, n, 3))
                for a in range(n):
                    for b in range(3):
                        jac[a, b, a, b] = s
            elif o == "y" and i == "settings.scale":
                jac = x.copy()
            elif o == "y" and i == "offset":
                jac = np.zeros((n, 3, 3))
                for a in range(n):
                    for b in range(3):
                        jac[a, b, b] = 1.0
            elif o == "first_row_sum" and i == "x":
                jac = np.zeros((n, 3))
                jac[0, :] = s
            elif o == "first_row_sum" and i == "settings.scale":
                jac = np.array(x[0, 0] + x[0, 1] + x[0, 2])
            elif o == "first_row_sum" and i == "offset":
                jac = np.ones(3)
            else:
                raise ValueError(f"Unknown jacobian pair ({o}, {i})")
            out[o][i] = jac
    return out


def jacobian_vector_product(inputs: InputSchema, jvp_inputs, jvp_outputs, tangent_vector):
    n = inputs.x.shape[0]
    x = inputs.x
    s = inputs.settings.scale
    t = tangent_vector
    out = {}
    if "y" in jvp_outputs:
        r = np.zeros((n, 3))
        if "x" in jvp_inputs:
            r = r + s * t["x"]
        if "settings.scale" in jvp_inputs:
            r = r + t["settings.scale"] * x
        if "offset" in jvp_inputs:
            r = r + t["offset"]
        out["y"] = r
    if "first_row_sum" in jvp_outputs:
        acc = 0.0
        if "x" in jvp_inputs:
            sf = float(s)
            tx = t["x"]
            acc = acc + (sf * float(tx[0, 0]) + sf * float(tx[0, 1]) + sf * float(tx[0, 2]))
        if "settings.scale" in jvp_inputs:
            ts = float(t["settings.scale"])
            acc = acc + ts * (float(x[0, 0]) + float(x[0, 1]) + float(x[0, 2]))
        if "offset" in jvp_inputs:
            to = t["offset"]
            acc = acc + (float(to[0]) + float(to[1]) + float(to[2]))
        out["first_row_sum"] = np.array(acc)
    return out


def vector_jacobian_product(inputs: InputSchema, vjp_inputs, vjp_outputs, cotangent_vector):
    n = inputs.x.shape[0]
    x = inputs.x
    s = inputs.settings.scale
    cy = cotangent_vector["y"] if "y" in vjp_outputs else None
    cf = cotangent_vector["first_row_sum"] if "first_row_sum" in vjp_outputs else None
    out = {}
    if "x" in vjp_inputs:
        g = np.zeros((n, 3))
        if cy is not None:
            g = g + s * cy
        if cf is not None:
            g[0, :] = g[0, :] + s * cf
        out["x"] = g
    if "settings.scale" in vjp_inputs:
        acc = 0.0
        if cy is not None:
            for i in range(n):
                for j in range(3):
                    acc = acc + float(x[i, j]) * float(cy[i, j])
        if cf is not None:
            acc = acc + float(cf) * (float(x[0, 0]) + float(x[0, 1]) + float(x[0, 2]))
        out["settings.scale"] = np.array(acc)
    if "offset" in vjp_inputs:
        g = [0.0, 0.0, 0.0]
        if cy is not None:
            for i in range(n):
                for j in range(3):
                    g[j] = g[j] + float(cy[i, j])
        if cf is not None:
            for j in range(3):
                g[j] = g[j] + float(cf)
        out["offset"] = np.array(g)
    return out


def abstract_eval(abstract_inputs):
    return {
        "y": ShapeDType(shape=abstract_inputs.x.shape, dtype="float64"),
        "first_row_sum": ShapeDType(shape=(), dtype="float64"),
        "doubled": {
            k: ShapeDType(shape=w.shape, dtype="float32")
            for k, w in abstract_inputs.weights.items()
        },
        "summary": {
            "count": -1,
            "mode": abstract_inputs.settings.mode,
            "label": abstract_inputs.label,
        },
        "masked_rows": None,
    }
