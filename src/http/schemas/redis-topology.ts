import { Type } from 'typebox'

/** describeTopology's answer (packages/cache/src/redis/topology.ts), on /health and /stats. */
export const RedisTopologySchema = Type.Object(
  {
    mode: Type.Union([
      Type.Literal('standalone'),
      Type.Literal('cluster'),
      Type.Literal('sentinel'),
    ]),
    masters: Type.Array(Type.String(), {
      description: 'host:port of the master(s) written to now',
    }),
    nodes: Type.Array(Type.String(), {
      description:
        "Every node the client knows: a Cluster's masters and replicas, or the sentinels",
    }),
  },
  {
    description:
      'Where Redis is, as the client sees it now (REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS)',
  },
)
