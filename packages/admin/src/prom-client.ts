/**
 * prom-client, required from this package's directory, the one whose package.json depends on
 * it. The commands' bundles leave prom-client out (scripts/bundle.mjs) and load this module only
 * with --admin, --agent or --workers; a plain import from inside a bundle would resolve from the
 * bundle's directory instead, and take any prom-client npm hoisted above it.
 */
import { packageRequire } from '@hamelin/core';

export const promClient = packageRequire('@hamelin/admin', import.meta.url)('prom-client') as typeof import('prom-client');
