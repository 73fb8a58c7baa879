/**
 * This window's client, wrapped so that every lifecycle call it makes
 * (whichever screen makes it) is remembered: the toasts leave out what the
 * researcher did here.
 */
import { useMemo } from 'react';
import type { BenchtopClient } from '../../../src-preload/client';
import { actionTarget, OwnActions } from '../../../src-preload/notify/own-actions';

export function withOwnActions(client: BenchtopClient, own: OwnActions): BenchtopClient {
  return {
    ...client,
    call(method, params) {
      const ref = actionTarget(method, params);
      const end = ref === null ? null : own.begin(ref);
      const reply = client.call(method, params);
      if (end) reply.then(end, end);
      return reply;
    },
  };
}

export function useOwnActions(connection: BenchtopClient): { client: BenchtopClient; own: OwnActions } {
  return useMemo(() => {
    const own = new OwnActions();
    return { client: withOwnActions(connection, own), own };
  }, [connection]);
}
