/**
 * A log-density typed by the user, e.g. `-(x^2 + y^2)/2` or
 * `logaddexp(-((x-2)^2+y^2)/0.5, -((x+2)^2+y^2)/0.5)`, parsed (never `eval`ed) into a syntax
 * tree and compiled to TensorFlow.js ops on a batch of points, so that `userTarget` gets its
 * score from autodiff like any formula written in code.
 *
 * The language: numbers (`1.5`, `2e-3`), the coordinates `x` and `y` (also `x1`, `x2`), the
 * constants `pi` and `e`, `+ - * /`, powers `^` or `**` (right-associative, binding tighter than a
 * unary minus on the left: `-x^2` is `-(x^2)`), parentheses, and the functions in
 * {@link formulaFunctions}. Every error names the position and the text found there.
 */
import type { Tensor, Tensor1D, Tensor2D } from "@tensorflow/tfjs-core";
import { ErrorCode, MinevoError, quote, type TensorFlow } from "@minevo/core";

export type FormulaNode =
  | { readonly kind: "number"; readonly value: number }
  | { readonly kind: "coordinate"; readonly index: 0 | 1 }
  | { readonly kind: "negate"; readonly operand: FormulaNode }
  | { readonly kind: "binary"; readonly operator: "+" | "-" | "*" | "/" | "^"; readonly left: FormulaNode; readonly right: FormulaNode }
  | { readonly kind: "call"; readonly name: FormulaFunctionName; readonly args: readonly FormulaNode[] };

type Unary = (tf: TensorFlow, a: Tensor) => Tensor;
type Binary = (tf: TensorFlow, a: Tensor, b: Tensor) => Tensor;

/**
 * The functions a formula may call. Each is built from ops that TensorFlow.js can differentiate;
 * `logaddexp` and `softplus` are written in their overflow-free forms because a log-density of a
 * mixture is exactly where exp(·) overflows float32.
 */
export const formulaFunctions = {
  exp: { arity: 1, apply: ((tf, a) => tf.exp(a)) as Unary },
  log: { arity: 1, apply: ((tf, a) => tf.log(a)) as Unary },
  sqrt: { arity: 1, apply: ((tf, a) => tf.sqrt(a)) as Unary },
  abs: { arity: 1, apply: ((tf, a) => tf.abs(a)) as Unary },
  square: { arity: 1, apply: ((tf, a) => tf.square(a)) as Unary },
  sin: { arity: 1, apply: ((tf, a) => tf.sin(a)) as Unary },
  cos: { arity: 1, apply: ((tf, a) => tf.cos(a)) as Unary },
  tanh: { arity: 1, apply: ((tf, a) => tf.tanh(a)) as Unary },
  /** log(1 + eᵃ) = max(a, 0) + log(1 + e^−|a|). */
  softplus: { arity: 1, apply: ((tf, a) => tf.add(tf.relu(a), tf.log1p(tf.exp(tf.neg(tf.abs(a)))))) as Unary },
  /** log(eᵃ + eᵇ) = max(a, b) + log(1 + e^−|a−b|). */
  logaddexp: { arity: 2, apply: ((tf, a, b) => tf.add(tf.maximum(a, b), tf.log1p(tf.exp(tf.neg(tf.abs(tf.sub(a, b))))))) as Binary },
  max: { arity: 2, apply: ((tf, a, b) => tf.maximum(a, b)) as Binary },
  min: { arity: 2, apply: ((tf, a, b) => tf.minimum(a, b)) as Binary },
} as const;

export type FormulaFunctionName = keyof typeof formulaFunctions;

const constants: Readonly<Record<string, number>> = { pi: Math.PI, e: Math.E };
const coordinates: Readonly<Record<string, 0 | 1>> = { x: 0, y: 1, x1: 0, x2: 1 };

interface Token {
  readonly type: "number" | "name" | "operator" | "(" | ")" | "," | "end";
  readonly text: string;
  readonly position: number;
}

function formulaError(formula: string, position: number, message: string): MinevoError {
  const pointer = `${formula}\n${" ".repeat(position)}^`;
  return new MinevoError(ErrorCode.InvalidArgument, `log-density formula, at character ${position + 1}: ${message}\n${pointer}`, { formula, position });
}

function tokenize(formula: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < formula.length) {
    const c = formula[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const number = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(formula.slice(i));
    if (number !== null) {
      tokens.push({ type: "number", text: number[0], position: i });
      i += number[0].length;
      continue;
    }
    const name = /^[A-Za-z_][A-Za-z_0-9]*/.exec(formula.slice(i));
    if (name !== null) {
      tokens.push({ type: "name", text: name[0], position: i });
      i += name[0].length;
      continue;
    }
    if (formula.startsWith("**", i)) {
      tokens.push({ type: "operator", text: "^", position: i });
      i += 2;
      continue;
    }
    if ("+-*/^".includes(c)) tokens.push({ type: "operator", text: c, position: i });
    else if (c === "(" || c === ")" || c === ",") tokens.push({ type: c, text: c, position: i });
    else throw formulaError(formula, i, `unexpected character ${quote(c)}; use numbers, x, y, + - * / ^, parentheses and the functions ${Object.keys(formulaFunctions).join(", ")}`);
    i++;
  }
  tokens.push({ type: "end", text: "end of formula", position: formula.length });
  return tokens;
}

/**
 * Recursive descent over
 *   sum     := product (("+" | "-") product)*
 *   product := unary (("*" | "/") unary)*
 *   unary   := "-" unary | "+" unary | power
 *   power   := atom ("^" unary)?
 *   atom    := number | constant | coordinate | name "(" sum ("," sum)* ")" | "(" sum ")"
 */
export function parseFormula(formula: string): FormulaNode {
  if (typeof formula !== "string" || formula.trim().length === 0) {
    throw new MinevoError(ErrorCode.InvalidArgument, `the log-density formula is empty (${quote(formula)}); type an expression in x and y, e.g. -(x^2 + y^2)/2`);
  }
  const tokens = tokenize(formula);
  let index = 0;
  const peek = (): Token => tokens[index] as Token;
  const next = (): Token => tokens[index++] as Token;
  const expect = (type: Token["type"], what: string): Token => {
    const token = next();
    if (token.type !== type) throw formulaError(formula, token.position, `expected ${what}, found ${quote(token.text)}`);
    return token;
  };

  function sum(): FormulaNode {
    let left = product();
    while (peek().type === "operator" && (peek().text === "+" || peek().text === "-")) {
      const operator = next().text as "+" | "-";
      left = { kind: "binary", operator, left, right: product() };
    }
    return left;
  }
  function product(): FormulaNode {
    let left = unary();
    while (peek().type === "operator" && (peek().text === "*" || peek().text === "/")) {
      const operator = next().text as "*" | "/";
      left = { kind: "binary", operator, left, right: unary() };
    }
    return left;
  }
  function unary(): FormulaNode {
    if (peek().type === "operator" && peek().text === "-") {
      next();
      return { kind: "negate", operand: unary() };
    }
    if (peek().type === "operator" && peek().text === "+") {
      next();
      return unary();
    }
    return power();
  }
  function power(): FormulaNode {
    const base = atom();
    if (peek().type === "operator" && peek().text === "^") {
      next();
      return { kind: "binary", operator: "^", left: base, right: unary() };
    }
    return base;
  }
  function atom(): FormulaNode {
    const token = next();
    if (token.type === "number") {
      const value = Number(token.text);
      if (!Number.isFinite(value)) throw formulaError(formula, token.position, `the number ${token.text} is not finite`);
      return { kind: "number", value };
    }
    if (token.type === "(") {
      const inner = sum();
      expect(")", `")" to close the "(" at character ${token.position + 1}`);
      return inner;
    }
    if (token.type === "name") {
      const name = token.text;
      if (Object.hasOwn(formulaFunctions, name)) {
        const fn = formulaFunctions[name as FormulaFunctionName];
        expect("(", `"(" after the function ${name}`);
        const args = [sum()];
        while (peek().type === ",") {
          next();
          args.push(sum());
        }
        const close = expect(")", `")" or "," in the arguments of ${name}`);
        if (args.length !== fn.arity) {
          throw formulaError(formula, close.position, `${name} takes ${fn.arity} argument${fn.arity === 1 ? "" : "s"}, got ${args.length}`);
        }
        return { kind: "call", name: name as FormulaFunctionName, args };
      }
      const coordinate = coordinates[name];
      if (coordinate !== undefined) return { kind: "coordinate", index: coordinate };
      const constant = constants[name];
      if (constant !== undefined) return { kind: "number", value: constant };
      throw formulaError(
        formula,
        token.position,
        `unknown name ${quote(name)}; the coordinates are x and y (or x1, x2), the constants pi and e, the functions ${Object.keys(formulaFunctions).join(", ")}`,
      );
    }
    throw formulaError(formula, token.position, `expected a number, x, y, a function or "(", found ${quote(token.text)}`);
  }

  const tree = sum();
  const rest = peek();
  if (rest.type !== "end") throw formulaError(formula, rest.position, `unexpected ${quote(rest.text)} after a complete expression (a missing operator?)`);
  return tree;
}

/** Whether the tree reads x or y at all (a formula without them is a constant, not a density). */
export function usesCoordinates(node: FormulaNode): boolean {
  switch (node.kind) {
    case "number":
      return false;
    case "coordinate":
      return true;
    case "negate":
      return usesCoordinates(node.operand);
    case "binary":
      return usesCoordinates(node.left) || usesCoordinates(node.right);
    case "call":
      return node.args.some(usesCoordinates);
  }
}

/** The tree's value at the columns `x`, `y` (shape [M]) with TensorFlow.js ops. */
function evaluateNode(tf: TensorFlow, node: FormulaNode, x: Tensor, y: Tensor): Tensor {
  switch (node.kind) {
    case "number":
      return tf.scalar(node.value);
    case "coordinate":
      return node.index === 0 ? x : y;
    case "negate":
      return tf.neg(evaluateNode(tf, node.operand, x, y));
    case "binary": {
      const left = evaluateNode(tf, node.left, x, y);
      // x^2 is by far the commonest power: square is exact and differentiable at negative x.
      if (node.operator === "^" && node.right.kind === "number" && node.right.value === 2) return tf.square(left);
      const right = evaluateNode(tf, node.right, x, y);
      switch (node.operator) {
        case "+":
          return tf.add(left, right);
        case "-":
          return tf.sub(left, right);
        case "*":
          return tf.mul(left, right);
        case "/":
          return tf.div(left, right);
        case "^":
          return tf.pow(left, right);
      }
      break;
    }
    case "call": {
      const fn = formulaFunctions[node.name];
      const args = node.args.map((a) => evaluateNode(tf, a, x, y));
      return fn.arity === 1 ? (fn.apply as Unary)(tf, args[0] as Tensor) : (fn.apply as Binary)(tf, args[0] as Tensor, args[1] as Tensor);
    }
  }
}

/**
 * The formula as a batched log-density for `userTarget`: points [M, 2] → log π̃ [M]. Call it
 * inside a tidy (userTarget does): it leaves its intermediate tensors to the caller's scope.
 */
export function compileFormula(formula: string): (points: Tensor2D, tf: TensorFlow) => Tensor1D {
  const tree = parseFormula(formula);
  if (!usesCoordinates(tree)) {
    throw new MinevoError(
      ErrorCode.InvalidArgument,
      `the log-density formula ${quote(formula)} does not depend on x or y: a constant log-density has no finite normaliser on the plane`,
      { formula },
    );
  }
  return (points, tf) => {
    const m = points.shape[0];
    const x = tf.reshape(tf.slice(points, [0, 0], [-1, 1]), [m]);
    const y = tf.reshape(tf.slice(points, [0, 1], [-1, 1]), [m]);
    const value = evaluateNode(tf, tree, x, y);
    // A formula in x only still broadcasts to [M]; adding 0·x keeps the shape exact.
    return (value.shape.length === 1 && value.shape[0] === m ? value : tf.add(value, tf.zerosLike(x))) as Tensor1D;
  };
}
