import { describe, expect, it } from "vitest";
import { RandomStream, denseMatrix, gramOfColumns, gramOfRows, multiply as matmul, timesVector, transpose as transposed, transposeTimesVector } from "./index.js";

const randomMatrix = (rows: number, cols: number, random: RandomStream) => denseMatrix(rows, cols, random.normals(rows * cols));
const apply = (a: ReturnType<typeof denseMatrix>, x: Float64Array) => matmul(a, denseMatrix(x.length, 1, x)).data;

describe("float64 products of tensor data", () => {
  it.each([
    [1, 3],
    [4, 8],
    [7, 13],
    [9, 5],
    [12, 1],
  ])("%i×%i: AAᵀ (tiled), AᵀA, Aᵀx and Ax match the plain float64 products", (rows, cols) => {
    const random = RandomStream.fromSeed(`${rows}x${cols}`);
    const a = randomMatrix(rows, cols, random);
    const float32 = { rows, cols, data: Float32Array.from(a.data) };
    const a32 = { rows, cols, data: Float64Array.from(float32.data) };
    const close = (actual: Float64Array, expected: Float64Array) =>
      expected.forEach((e, i) => expect(Math.abs((actual[i] as number) - e)).toBeLessThan(1e-12 * (1 + Math.abs(e))));
    close(gramOfRows(float32).data, matmul(a32, transposed(a32)).data);
    close(gramOfRows(a32).data, matmul(a32, transposed(a32)).data);
    close(gramOfColumns(float32).data, matmul(transposed(a32), a32).data);
    const x = random.normals(rows);
    const y = random.normals(cols);
    close(transposeTimesVector(float32, x), apply(transposed(a32), x));
    close(timesVector(float32, y), apply(a32, y));
    const k = gramOfRows(float32);
    for (let i = 0; i < rows; i++) for (let j = 0; j < rows; j++) expect(k.data[i * rows + j]).toBe(k.data[j * rows + i]);
  });
});
