#!/usr/bin/env bash
# Generate N migration files into DIR, in refinery layout V{n}__table_{n}.sql, each creating table
# public.tNNNN, in one of two shapes:
#   rls    (default) the table, an index, RLS enabled and 4 policies: ~2 ms of server work per file,
#          so the server's own time dominates every tool's
#   small  the table alone (one statement; in schema bench, which the first file creates and no API
#          exposes, so needs no RLS): little server work, so each tool's own cost per file (round
#          trips, parsing, bookkeeping) shows
# usage: bench/migrate/gen.sh N DIR [rls|small]
set -euo pipefail
n=${1:?usage: gen.sh N DIR [rls|small]}
dir=${2:?usage: gen.sh N DIR [rls|small]}
shape=${3:-rls}
case "$shape" in rls | small) ;; *) echo "unknown shape $shape (rls, small)" >&2; exit 2 ;; esac
mkdir -p "$dir"
for i in $(seq 1 "$n"); do
  t=$(printf 't%04d' "$i")
  if [ "$shape" = small ]; then
    { [ "$i" = 1 ] && echo 'create schema bench;'
      printf -- '-- bench migration %s: one table\ncreate table bench.%s (id bigint primary key, note text);\n' "$i" "$t"
    } > "$dir/V${i}__table_${i}.sql"
    continue
  fi
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
