// Read receipts (issue 8): POST Communication/[id]/$mark-read records who read a message and when, per recipient;
// GET Communication/[id]/$receipts lists them to the sender, the recipients and system callers.
import type { Communication, Parameters, ParametersParameter } from '@medplum/fhirtypes';
import { errors } from '../../fhir/errors';
import type { HubContext } from '../../fhir/hub-context';
import type { FhirRequest, FhirResponse } from '../../fhir/request';
import type { Queryable } from '../../store/db';
import { readCurrent } from '../../store/resource-store';
import { messageCaller, ownRecipients } from './message-caller';

interface DeliveryRow {
  recipient: string;
  read_at: Date | string | null;
  read_by: string | null;
}

/** The message, or 404 (a deleted one is gone: 410, like a read). */
async function messageOf(q: Queryable, id: string): Promise<{ rid: number; message: Communication }> {
  const stored = await readCurrent(q, 'Communication', id);
  if (!stored) throw errors.notFound(`Communication/${id} is not known`);
  if (stored.deleted || !stored.content) throw errors.gone(`Communication/${id} has been deleted`);
  return { rid: stored.rid, message: JSON.parse(stored.content) as Communication };
}

const iso = (v: Date | string) => new Date(v).toISOString();

export async function markReadOperation(ctx: HubContext, req: FhirRequest, tx?: Queryable): Promise<FhirResponse> {
  const id = req.path[1];
  const who = messageCaller(ctx, req, true);
  const q = tx ?? ctx.db;
  const { rid } = await messageOf(q, id);
  const now = ctx.now().toISOString();
  // The first read is kept: rows already read are left alone, so repeating the call changes nothing.
  const marked = await q.query<DeliveryRow>(
    `UPDATE message_delivery SET read_at = coalesce(read_at, $3::timestamptz), read_by = coalesce(read_by, $4)
      WHERE rid = $1 AND recipient = ANY($2::text[]) RETURNING recipient, read_at, read_by`,
    [rid, who.recipients, now, who.readBy ?? null],
  );
  if (marked.rows.length === 0) throw errors.forbidden(`Communication/${id} was not delivered to ${who.recipients.join(', ') || 'you'}`);
  return { status: 200, resource: receiptsOf(marked.rows), headers: {} };
}

export async function receiptsOperation(ctx: HubContext, req: FhirRequest, tx?: Queryable): Promise<FhirResponse> {
  const id = req.path[1];
  const q = tx ?? ctx.db;
  const { rid, message } = await messageOf(q, id);
  const rows = (await q.query<DeliveryRow>('SELECT recipient, read_at, read_by FROM message_delivery WHERE rid = $1 ORDER BY recipient', [rid])).rows;
  const own = ownRecipients(ctx);
  if (own) {
    const sender = message.sender?.reference;
    const isSender = sender !== undefined && own.includes(sender);
    if (!isSender && !rows.some((r) => own.includes(r.recipient))) throw errors.forbidden(`Only the sender and the recipients of Communication/${id} may see its receipts`);
  }
  return { status: 200, resource: receiptsOf(rows), headers: {} };
}

function receiptsOf(rows: DeliveryRow[]): Parameters {
  const parameter: ParametersParameter[] = rows.map((r) => {
    const part: ParametersParameter[] = [{ name: 'recipient', valueReference: { reference: r.recipient } }];
    if (r.read_at) part.push({ name: 'readAt', valueDateTime: iso(r.read_at) });
    if (r.read_by) part.push({ name: 'readBy', valueReference: { reference: r.read_by } });
    return { name: 'receipt', part };
  });
  return parameter.length ? { resourceType: 'Parameters', parameter } : { resourceType: 'Parameters' };
}
