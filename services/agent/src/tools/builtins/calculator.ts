import { all, create } from 'mathjs'
import { type Tool, ToolError } from '../tool.ts'

// `all` is typed optional; mathjs always exports it.
const math = create(all as NonNullable<typeof all>, { number: 'number' })
const evaluate = math.evaluate

// mathjs's security advice: an expression must not reach the functions that define functions or
// parse more code; the matrix builders are off too, so `ones(1e9)` cannot take the memory.
const disabled = [
  'import',
  'createUnit',
  'evaluate',
  'parse',
  'compile',
  'simplify',
  'derivative',
  'resolve',
  'reviver',
  'zeros',
  'ones',
  'identity',
  'range',
  'matrix',
  'sparse',
  'random',
  'randomInt',
  'pickRandom',
]
math.import(
  Object.fromEntries(
    disabled.map((name) => [
      name,
      () => {
        throw new Error(`${name} is not available in the calculator`)
      },
    ]),
  ),
  { override: true },
)

/** Longest expression evaluated, in characters. */
const maxExpressionLength = 500

/** `calculator`: arithmetic, powers, functions (sqrt, log, sin...), units (`5 km to mi`). */
export function calculatorTool(): Tool {
  return {
    name: 'calculator',
    description:
      'Evaluates a math expression exactly, e.g. "(3 + 4) * 2", "sqrt(2) ^ 3", "15% of 80" is "0.15 * 80", "5 km to mi".',
    parameters: {
      type: 'object',
      properties: {
        expression: {
          type: 'string',
          minLength: 1,
          maxLength: maxExpressionLength,
          description: 'The expression',
        },
      },
      required: ['expression'],
      additionalProperties: false,
    },
    async call(args) {
      const { expression } = args as { expression: string }
      let value: unknown
      try {
        value = evaluate(expression, {})
      } catch (error) {
        throw new ToolError(`cannot evaluate ${JSON.stringify(expression)}: ${(error as Error).message}`)
      }
      if (typeof value === 'function' || value === undefined) {
        throw new ToolError(`${JSON.stringify(expression)} is not a value`)
      }
      return { expression, result: math.format(value, { precision: 14 }) }
    },
  }
}
