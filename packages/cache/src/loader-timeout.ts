import { LoaderTimeoutError } from './errors.js'

/** Fails the wait, not the load: a load past the timeout still fills the cache for later reads. */
export async function withinTimeout<R>(cache: string, ms: number, load: Promise<R>): Promise<R> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LoaderTimeoutError(cache, ms)), ms)
  })
  try {
    return await Promise.race([load, timeout])
  } finally {
    clearTimeout(timer)
  }
}
