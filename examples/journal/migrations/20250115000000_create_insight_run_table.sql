-- 20250115000000_create_insight_run_table.sql
-- Creates "InsightRun": weekly insight generation results (hand-written, snake_case columns;
-- user_id is text like the Prisma tables' "userId"). One run per user and time range:
-- UNIQUE (user_id, time_range_start, time_range_end). Indexes on user_id and created_at.
-- RLS is NOT enabled yet.

CREATE TABLE "InsightRun" (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id          text NOT NULL,
    time_range_start timestamptz NOT NULL,
    time_range_end   timestamptz NOT NULL,
    narrative        text,
    metrics          jsonb NOT NULL DEFAULT '{}'::jsonb,
    model            text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT "InsightRun_user_id_time_range_start_time_range_end_key"
        UNIQUE (user_id, time_range_start, time_range_end),
    CONSTRAINT "InsightRun_time_range_check" CHECK (time_range_end > time_range_start)
);

CREATE INDEX "InsightRun_user_id_idx" ON "InsightRun" (user_id);
CREATE INDEX "InsightRun_created_at_idx" ON "InsightRun" (created_at);
