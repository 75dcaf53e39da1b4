import { readFileSync } from 'node:fs'

/** The dashboard docker/compose.yaml has Grafana provision. */
export const DASHBOARD_FILE = new URL(
  '../../../docker/grafana/dashboards/caching-strategies.json',
  import.meta.url,
)

interface Panel {
  title?: string
  targets?: Array<{ expr?: string }>
  /** A row's panels, when the row is collapsed. */
  panels?: Panel[]
}

export interface PanelQuery {
  panel: string
  expression: string
}

/** Every PromQL expression of every panel, rows' nested panels included. */
export function dashboardQueries(dashboard: { panels?: Panel[] }): PanelQuery[] {
  const queries: PanelQuery[] = []
  const visit = (panels: Panel[] = []) => {
    for (const panel of panels) {
      for (const target of panel.targets ?? []) {
        if (target.expr)
          queries.push({ panel: panel.title ?? '(untitled)', expression: target.expr })
      }
      visit(panel.panels)
    }
  }
  visit(dashboard.panels)
  return queries
}

export function readDashboard(): { panels?: Panel[] } {
  return JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8'))
}

/**
 * An expression as Grafana would send it, with its variables filled in: a rate window of a
 * minute and every cache selected.
 */
export function withVariablesFilled(expression: string): string {
  return expression.replaceAll('$__rate_interval', '1m').replaceAll('$cache', '.*')
}
