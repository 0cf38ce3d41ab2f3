import { expect } from 'vitest'
import { WorkersVersionError } from '../../src/core/errors.js'

/** The plugin's error `promise` rejects with; fails the test when it resolves or rejects with anything else. */
export async function rejection(promise: Promise<unknown>): Promise<WorkersVersionError> {
  try {
    await promise
  } catch (error) {
    expect(error).toBeInstanceOf(WorkersVersionError)
    return error as WorkersVersionError
  }
  throw new Error('expected a rejection')
}
