/** The loader did not answer within `loaderTimeoutMs`, and there was nothing stale to serve. */
export class LoaderTimeoutError extends Error {
  override readonly name = 'LoaderTimeoutError'
  constructor(cache: string, ms: number) {
    super(`The ${cache} loader did not answer within ${ms} ms`)
  }
}

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
