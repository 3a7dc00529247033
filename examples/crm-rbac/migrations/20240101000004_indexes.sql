-- 20240101000004_indexes.sql
-- Performance indexes for the base tables: every foreign key not already covered by a primary
-- key or unique constraint, the columns the RLS policies filter on (assigned_to, created_by,
-- lower(email)), and the usual list/sort orders of the UI.

create index idx_profiles_role                    on public.profiles (role);

create index idx_customers_assigned_to            on public.customers (assigned_to);
create index idx_customers_created_by             on public.customers (created_by);
create index idx_customers_lower_email            on public.customers (lower(email));
create index idx_customers_status                 on public.customers (status);

create index idx_customer_interactions_customer_id on public.customer_interactions (customer_id);
create index idx_customer_interactions_user_id     on public.customer_interactions (user_id);
create index idx_customer_interactions_date        on public.customer_interactions (interaction_date desc);

create index idx_tickets_customer_id              on public.tickets (customer_id);
create index idx_tickets_assigned_to              on public.tickets (assigned_to);
create index idx_tickets_created_by               on public.tickets (created_by);
create index idx_tickets_status_priority          on public.tickets (status, priority);
create index idx_tickets_created_at               on public.tickets (created_at desc);

create index idx_ticket_comments_ticket_id        on public.ticket_comments (ticket_id);
create index idx_ticket_comments_author_id        on public.ticket_comments (author_id);

create index idx_activities_user_id_created_at    on public.activities (user_id, created_at desc);
create index idx_activities_entity                on public.activities (entity_type, entity_id);
create index idx_activities_created_at            on public.activities (created_at desc);

create index idx_tags_created_by                  on public.tags (created_by);
create index idx_customer_tags_tag_id             on public.customer_tags (tag_id);

create index idx_attachments_ticket_id            on public.attachments (ticket_id);
create index idx_attachments_uploaded_by          on public.attachments (uploaded_by);

create index idx_notifications_user_id_created_at on public.notifications (user_id, created_at desc);

create index idx_audit_log_table_record           on public.audit_log (table_name, record_id);
create index idx_audit_log_changed_at             on public.audit_log (changed_at desc);
