// Messaging between professionals (issue 8, docs/messaging.md): the Communication write rule, deliveries recorded
// with each new message, and the inbox and read-receipt operations.
import type { HubContext } from '../../fhir/hub-context';
import { registerOperation } from '../../fhir/operations';
import { limitsFromEnv } from './attachment-content';
import { inboxOperation } from './inbox';
import { markReadOperation, receiptsOperation } from './receipts';
import { communicationWriteRule } from './write-rule';

const DEFINITION = 'https://fhir-hub.fr/ig/OperationDefinition';

export function installMessaging(ctx: HubContext, env: NodeJS.ProcessEnv = process.env): void {
  ctx.writeRules ??= new Map();
  ctx.writeRules.set('Communication', communicationWriteRule(ctx, limitsFromEnv(env)));
  registerOperation({ name: 'inbox', definition: `${DEFINITION}/Communication-inbox`, level: 'type', types: ['Communication'], methods: ['GET'], run: inboxOperation });
  registerOperation({ name: 'mark-read', definition: `${DEFINITION}/Communication-mark-read`, level: 'instance', types: ['Communication'], methods: ['POST'], run: markReadOperation });
  registerOperation({ name: 'receipts', definition: `${DEFINITION}/Communication-receipts`, level: 'instance', types: ['Communication'], methods: ['GET'], run: receiptsOperation });
}
