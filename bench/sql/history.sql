-- Historical cancellation requests for the benchmark's data set. There is no product
-- path for history, so they are written here in bulk, on shipped orders (so no stock
-- moved): one full request per chosen order, in every state, with what each state
-- leaves behind (lines, timeline, refunds, the sent message and delivered webhook).
-- Half are open (in the queue, recent), half closed (spread over the year).
-- Parameters: %(count)s requests, on orders with id below %(below)s.
SELECT setseed(0.42);

CREATE TEMP TABLE hist ON COMMIT DROP AS
SELECT o.id AS order_id, o.retailer_id, o.customer_id, o.total, o.shipping, o.currency,
       o.placed_at, (row_number() OVER (ORDER BY o.id) - 1)::int AS r
FROM orders_order o
WHERE o.id %% 3 = 0 AND o.fulfillment_status <> 'unfulfilled' AND o.id < %(below)s
ORDER BY o.id
LIMIT %(count)s;

ALTER TABLE hist ADD COLUMN status text, ADD COLUMN attention boolean DEFAULT false,
    ADD COLUMN created timestamptz, ADD COLUMN request_id bigint;
UPDATE hist SET status = CASE
        WHEN r %% 20 < 5 THEN 'in_review'
        WHEN r %% 20 < 7 THEN 'escalated'
        WHEN r %% 20 < 9 THEN 'awaiting_customer'
        WHEN r %% 20 < 10 THEN 'approved'
        WHEN r %% 20 < 15 THEN 'completed'
        WHEN r %% 20 < 17 THEN 'rejected'
        WHEN r %% 20 < 18 THEN 'return_required'
        WHEN r %% 20 < 19 THEN 'withdrawn'
        WHEN r %% 40 = 19 THEN 'received'
        ELSE 'approved' END,
    attention = (r %% 20 = 9),
    created = CASE WHEN r %% 20 < 10 OR r %% 20 = 19
        THEN now() - random() * interval '3 days'
        ELSE placed_at + random() * (now() - interval '3 days' - placed_at) END;

INSERT INTO cancellations_cancellationrequest (
    status, reason, channel, note, refund_total, shipping_refund, decision_outcome,
    decision_rule, decision_explanation, decided_at, needs_attention, attention_reason,
    confirmation_expires_at, sla_due_at, created_by, created_at, updated_at, assigned_to_id,
    order_id, policy_id, retailer_id)
SELECT h.status,
    (ARRAY['changed_mind', 'ordered_by_mistake', 'found_better_price', 'shipping_delay',
           'duplicate_order', 'other'])[1 + h.r %% 6],
    CASE WHEN h.status = 'awaiting_customer' THEN 'phone' ELSE 'storefront' END,
    '', h.total, h.shipping,
    CASE h.status WHEN 'received' THEN '' WHEN 'completed' THEN 'approved'
        WHEN 'withdrawn' THEN 'in_review' ELSE h.status END,
    CASE h.status WHEN 'received' THEN '' WHEN 'in_review' THEN 'outside_cancellation_window'
        WHEN 'escalated' THEN 'above_auto_approve_limit'
        WHEN 'awaiting_customer' THEN 'needs_customer_confirmation'
        WHEN 'rejected' THEN 'outside_return_window' WHEN 'return_required' THEN 'already_shipped'
        WHEN 'withdrawn' THEN 'outside_cancellation_window' ELSE 'auto_approved' END,
    CASE WHEN h.status = 'received' THEN '' ELSE 'Decided when the request arrived.' END,
    CASE WHEN h.status IN ('approved', 'completed', 'rejected', 'return_required')
        THEN h.created END,
    h.attention,
    CASE WHEN h.attention THEN 'Refund to card failed (declined).' ELSE '' END,
    CASE WHEN h.status = 'awaiting_customer' THEN now() + random() * interval '23 hours' END,
    CASE WHEN h.status IN ('in_review', 'escalated') THEN h.created + interval '4 hours'
        WHEN h.attention THEN h.created + interval '1 hour' END,
    'bench history', h.created, h.created,
    CASE WHEN h.status = 'in_review' AND h.r %% 7 = 0 THEN %(agent_id)s END,
    h.order_id,
    (SELECT p.id FROM retailers_policy p WHERE p.retailer_id = h.retailer_id
     ORDER BY p.version DESC LIMIT 1),
    h.retailer_id
FROM hist h;

UPDATE hist h SET request_id = c.id
FROM cancellations_cancellationrequest c WHERE c.order_id = h.order_id;
CREATE INDEX ON hist (order_id);

INSERT INTO cancellations_cancellationline (quantity, refund_amount, line_id, request_id)
SELECT l.quantity, l.quantity * l.unit_price - l.discount + l.tax, l.id, h.request_id
FROM orders_orderline l JOIN hist h ON h.order_id = l.order_id;

-- Approved and completed requests cancelled every unit and refunded every payment.
UPDATE orders_orderline l
SET cancelled_quantity = l.quantity,
    refunded_amount = l.quantity * l.unit_price - l.discount + l.tax
FROM hist h WHERE h.order_id = l.order_id AND h.status IN ('approved', 'completed');
UPDATE orders_payment p SET refunded_amount = p.amount
FROM hist h WHERE h.order_id = p.order_id AND h.status IN ('approved', 'completed');
UPDATE orders_order o SET shipping_refunded = o.shipping
FROM hist h WHERE h.order_id = o.id AND h.status IN ('approved', 'completed');

INSERT INTO refunds_refund (
    amount, currency, status, attempts, attempt_limit, gateway_reference, failure_code,
    failure_message, idempotency_key, next_attempt_at, last_attempt_at, last_enqueued_at,
    succeeded_at, manual, created_at, updated_at, cancellation_id, payment_id, retailer_id)
SELECT p.amount, h.currency,
    CASE WHEN h.status = 'completed' THEN 'succeeded'
        WHEN h.attention THEN 'failed' ELSE 'pending' END,
    CASE WHEN h.status = 'approved' AND NOT h.attention THEN 0 ELSE 1 END, 8,
    CASE WHEN h.status = 'completed' THEN 'sbx_re_hist_' || p.id ELSE '' END,
    CASE WHEN h.attention THEN 'declined' ELSE '' END,
    CASE WHEN h.attention THEN 'The sandbox declines this payment.' ELSE '' END,
    'rfnd_hist_' || p.id,
    CASE WHEN h.status = 'approved' AND NOT h.attention THEN now() + interval '1 day' END,
    CASE WHEN h.status = 'completed' OR h.attention THEN h.created END,
    h.created,
    CASE WHEN h.status = 'completed' THEN h.created + interval '1 minute' END,
    false, h.created, h.created, h.request_id, p.id, h.retailer_id
FROM orders_payment p JOIN hist h ON h.order_id = p.order_id
WHERE h.status IN ('approved', 'completed') AND p.amount > 0;

INSERT INTO orders_orderevent (
    created_at, kind, message, actor_kind, actor_label, subject_type, subject_id,
    from_state, to_state, data, order_id)
SELECT h.created, 'cancellation.received',
    'Cancellation requested through storefront: refund ' || h.total || ' ' || h.currency || '.',
    'api_key', 'api key bench', 'cancellationrequest', h.request_id, '', 'received', '{}'::jsonb,
    h.order_id
FROM hist h
UNION ALL
SELECT h.created, 'cancellation.' || h.status, 'Decided when the request arrived.', 'rule',
    'rule bench', 'cancellationrequest', h.request_id, 'received', h.status, '{}'::jsonb, h.order_id
FROM hist h WHERE h.status NOT IN ('received', 'completed')
UNION ALL
SELECT h.created + interval '1 minute', 'cancellation.completed',
    'All refunds succeeded: ' || h.total || ' ' || h.currency || ' returned.', 'worker',
    'refund worker', 'cancellationrequest', h.request_id, 'approved', 'completed', '{}'::jsonb,
    h.order_id
FROM hist h WHERE h.status = 'completed';

INSERT INTO notifications_notification (
    event_type, channel, recipient, language, subject, body_text, body_html, sender,
    essential, status, attempts, last_error, dedupe_key, subject_type, subject_id,
    next_attempt_at, claimed_at, sent_at, created_at, updated_at, customer_id, order_id,
    retailer_id)
SELECT 'cancellation.' || h.status, 'email', c.email, 'en',
    'About your cancellation request', 'Your request is ' || h.status || '.', '', '',
    false, 'sent', 1, '',
    'cancellation.' || h.status || ':cancellationrequest:' || h.request_id || ':email',
    'cancellationrequest', h.request_id, h.created, NULL, h.created, h.created, h.created,
    h.customer_id, h.order_id, h.retailer_id
FROM hist h JOIN orders_customer c ON c.id = h.customer_id
WHERE h.status <> 'received';

INSERT INTO notifications_webhookdelivery (
    event_id, event_type, payload, status, attempts, response_status, latency_ms,
    last_error, next_attempt_at, claimed_at, delivered_at, created_at, updated_at,
    endpoint_id, order_id, retailer_id)
SELECT gen_random_uuid(), 'cancellation.created',
    jsonb_build_object('type', 'cancellation.created',
                       'data', jsonb_build_object('id', h.request_id)),
    'delivered', 1, 200, 5, '', h.created, NULL, h.created, h.created, h.created,
    e.id, h.order_id, h.retailer_id
FROM hist h JOIN retailers_webhookendpoint e ON e.retailer_id = h.retailer_id;
