import { Type } from 'typebox'

export const JOB_STATES = ['waiting', 'active', 'completed', 'failed', 'delayed'] as const

export const JobIdParams = Type.Object({
  id: Type.String({
    pattern: '^[A-Za-z0-9_-]{1,100}$',
    'x-pattern-message':
      'must be a job id as a 202 answered it: letters, digits, - and _, at most 100',
    description: 'A job id, as answered by 202',
  }),
})

export const JobAcceptedSchema = Type.Object({
  jobId: Type.String(),
  status: Type.String({ description: 'Where to follow the job: /jobs/<jobId>' }),
})

const Timestamp = Type.Union([Type.String({ format: 'date-time' }), Type.Null()])

export const JobSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  state: Type.Enum([...JOB_STATES]),
  attempts: Type.Integer({ minimum: 0, description: 'Attempts made so far' }),
  max_attempts: Type.Integer({ minimum: 1 }),
  result: Type.Unknown({ description: 'What the job answered, once completed' }),
  failed_reason: Type.Union([Type.String(), Type.Null()]),
  created_at: Timestamp,
  processed_at: Timestamp,
  finished_at: Timestamp,
})
