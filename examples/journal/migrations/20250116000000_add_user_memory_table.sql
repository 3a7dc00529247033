-- 20250116000000_add_user_memory_table.sql
-- Creates "UserMemory": the long-term memory of pro users (Prisma style: text id, camelCase
-- columns). Indexes on "userId", "createdAt" and "sourceType". RLS is NOT enabled yet.

CREATE TABLE "UserMemory" (
    "id"         TEXT NOT NULL DEFAULT (gen_random_uuid())::text,
    "userId"     TEXT NOT NULL,
    "summary"    TEXT NOT NULL,
    "sourceType" TEXT NOT NULL,
    "sourceId"   TEXT,
    "createdAt"  TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt"  TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "UserMemory_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "UserMemory_userId_idx" ON "UserMemory"("userId");
CREATE INDEX "UserMemory_createdAt_idx" ON "UserMemory"("createdAt");
CREATE INDEX "UserMemory_sourceType_idx" ON "UserMemory"("sourceType");
