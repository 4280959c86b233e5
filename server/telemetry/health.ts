/**
 * The server's lifecycle as the health endpoints report it (server/internal-endpoints.ts):
 *
 *   starting ──serving()──▶ serving ──shuttingDown()──▶ stopping
 *       └────────────────shuttingDown()────────────────────▲
 *
 * - live: 200 in every phase while the process answers HTTP.
 * - ready: 200 only while `serving` AND a write could reach quorum now; 503 before the
 *   drives are loaded and the listeners are up (starting) and from the moment shutdown
 *   begins (stopping), so a load balancer stops sending traffic before connections close.
 * - cluster: 200 when a write could reach quorum, whatever the phase.
 *
 * `stopping` is final: a late serving() does not revive it. main.ts owns the transitions.
 */
export type HealthPhase = 'starting' | 'serving' | 'stopping';

export class HealthState {
  private current: HealthPhase;

  constructor(phase: HealthPhase = 'starting') {
    this.current = phase;
  }

  get phase(): HealthPhase {
    return this.current;
  }

  /** Drives are loaded and the server listens: readiness now follows write quorum. */
  serving(): void {
    if (this.current === 'starting') this.current = 'serving';
  }

  /** Shutdown began (SIGTERM): readiness answers 503 from now on. */
  shuttingDown(): void {
    this.current = 'stopping';
  }
}

export interface HealthAnswer {
  status: 200 | 503;
  body: { status: string };
}

/** Liveness: the process serves requests. */
export function liveness(): HealthAnswer {
  return { status: 200, body: { status: 'ok' } };
}

/** Readiness: serving and writes reach quorum. `writable` is only asked while serving. */
export async function readiness(state: HealthState, writable: () => Promise<boolean>): Promise<HealthAnswer> {
  switch (state.phase) {
    case 'starting':
      return { status: 503, body: { status: 'starting' } };
    case 'stopping':
      return { status: 503, body: { status: 'shutting down' } };
    case 'serving':
      return (await writable())
        ? { status: 200, body: { status: 'ready' } }
        : { status: 503, body: { status: 'not ready' } };
  }
}

/** Cluster health: a write could reach quorum now. */
export async function clusterHealth(writable: () => Promise<boolean>): Promise<HealthAnswer> {
  return (await writable())
    ? { status: 200, body: { status: 'ok' } }
    : { status: 503, body: { status: 'write quorum unavailable' } };
}
