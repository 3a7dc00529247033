#!/usr/bin/env bash
# Generate N small migration files (each: one table with RLS enabled and 4 policies) into DIR,
# in refinery layout V{n}__table_{n}.sql.
# usage: bench/migrate/gen.sh N DIR
set -euo pipefail
n=${1:?usage: gen.sh N DIR}
dir=${2:?usage: gen.sh N DIR}
mkdir -p "$dir"
for i in $(seq 1 "$n"); do
  t=$(printf 't%04d' "$i")
  cat > "$dir/V${i}__table_${i}.sql" <<SQL
-- bench migration $i: one table, RLS on, four policies
create table public.$t (
  id         bigint generated always as identity primary key,
  owner_id   uuid not null,
  title      text not null check (length(title) between 1 and 200),
  body       text,
  created_at timestamptz not null default now()
);
create index ${t}_owner on public.$t (owner_id);
alter table public.$t enable row level security;
create policy "${t} owners read"   on public.$t for select using (owner_id = nullif(current_setting('app.user_id', true), '')::uuid);
create policy "${t} owners insert" on public.$t for insert with check (owner_id = nullif(current_setting('app.user_id', true), '')::uuid);
create policy "${t} owners update" on public.$t for update using (owner_id = nullif(current_setting('app.user_id', true), '')::uuid)
  with check (owner_id = nullif(current_setting('app.user_id', true), '')::uuid);
create policy "${t} owners delete" on public.$t for delete using (owner_id = nullif(current_setting('app.user_id', true), '')::uuid);
SQL
done
