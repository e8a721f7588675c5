import { expect, test } from 'vitest'
import { ToolError } from '../tool.ts'
import { calculatorTool } from './calculator.ts'
import { callContext } from './test-context.ts'

const calculate = (expression: string) => calculatorTool().call({ expression }, callContext())

test.each([
  ['(3 + 4) * 2', String((3 + 4) * 2)],
  ['2 ^ 10', String(2 ** 10)],
  ['sqrt(2) ^ 2', String(Number((Math.sqrt(2) ** 2).toPrecision(14)))],
  ['0.1 + 0.2', String(Number((0.1 + 0.2).toPrecision(14)))],
  ['1 / 0', 'Infinity'],
  ['5 km to m', '5000 m'],
])('%s is %s', async (expression, result) => {
  expect(await calculate(expression)).toEqual({ expression, result })
})

test.each([
  ['import({}, {override: true})', 'import is not available'],
  ['evaluate("1 + 1")', 'evaluate is not available'],
  ['parse("1")', 'parse is not available'],
  ['createUnit("foo")', 'createUnit is not available'],
  ['ones(1000000000)', 'ones is not available'],
  ['1 +', 'cannot evaluate'],
  ['unknownThing(3)', 'cannot evaluate'],
])('%s is a tool error the model can read (%s)', async (expression, message) => {
  const error = await calculate(expression).catch((e: unknown) => e)
  expect(error).toBeInstanceOf(ToolError)
  expect((error as Error).message).toContain(message)
})

test('defining a function is not a value', async () => {
  await expect(calculate('f(x) = x')).rejects.toThrow(ToolError)
})
