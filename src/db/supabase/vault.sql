-- -----------------------------------------------------------------------------
-- vault (stand-in for the supabase_vault extension, which needs pgsodium):
-- vault.secrets, vault.decrypted_secrets, vault.create_secret(),
-- vault.update_secret() with supabase_vault's names, columns and signatures.
-- Secrets are encrypted with pgcrypto (AES-CBC, a random per-secret nonce as
-- IV) under a random per-database key kept in vault._deskctl_key, which only
-- the preset's owner can read; NOT libsodium's AEAD, and not a key outside the
-- database. Good enough for migrations, seeds and tests; not for real secrets.
-- -----------------------------------------------------------------------------
create table if not exists vault._deskctl_key (
  only_row boolean primary key default true check (only_row),
  key      bytea not null default extensions.gen_random_bytes(32)
);
insert into vault._deskctl_key default values on conflict do nothing;
revoke all on vault._deskctl_key from public;

create table if not exists vault.secrets (
  id          uuid not null default gen_random_uuid(),
  name        text,
  description text not null default '',
  secret      text not null,
  key_id      uuid,
  nonce       bytea default extensions.gen_random_bytes(16),
  created_at  timestamptz not null default current_timestamp,
  updated_at  timestamptz not null default current_timestamp,
  constraint secrets_pkey primary key (id)
);
create unique index if not exists secrets_name_idx on vault.secrets (name) where name is not null;
comment on table vault.secrets is
  'deskctl Supabase preset: stand-in for supabase_vault (pgcrypto, not pgsodium). Use vault.create_secret() to add secrets.';

create or replace function vault._crypt(plain text, nonce bytea)
returns text
language sql stable security definer
set search_path = ''
as $$
  select encode(extensions.encrypt_iv(convert_to(plain, 'utf8'),
                                      (select key from vault._deskctl_key), nonce, 'aes'), 'base64')
$$;

create or replace function vault._decrypt(secret text, nonce bytea)
returns text
language sql stable security definer
set search_path = ''
as $$
  select convert_from(extensions.decrypt_iv(decode(secret, 'base64'),
                                            (select key from vault._deskctl_key), nonce, 'aes'), 'utf8')
$$;
revoke all on function vault._crypt(text, bytea), vault._decrypt(text, bytea) from public;

create or replace function vault.create_secret(
  new_secret      text,
  new_name        text default null,
  new_description text default '',
  new_key_id      uuid default null
)
returns uuid
language plpgsql security definer
set search_path = ''
as $$
declare
  rec record;
begin
  insert into vault.secrets (secret, name, description, key_id)
  values ('', new_name, coalesce(new_description, ''), new_key_id)
  returning * into rec;
  update vault.secrets s
     set secret = vault._crypt(new_secret, s.nonce)
   where s.id = rec.id;
  return rec.id;
end
$$;

create or replace function vault.update_secret(
  secret_id       uuid,
  new_secret      text default null,
  new_name        text default null,
  new_description text default null,
  new_key_id      uuid default null
)
returns void
language plpgsql security definer
set search_path = ''
as $$
begin
  update vault.secrets s
     set secret      = case when new_secret is null then s.secret
                            else vault._crypt(new_secret, s.nonce) end,
         name        = coalesce(new_name, s.name),
         description = coalesce(new_description, s.description),
         key_id      = coalesce(new_key_id, s.key_id),
         updated_at  = now()
   where s.id = secret_id;
end
$$;

create or replace view vault.decrypted_secrets as
select s.id,
       s.name,
       s.description,
       s.secret,
       case when s.secret = '' then null else vault._decrypt(s.secret, s.nonce) end as decrypted_secret,
       s.key_id,
       s.nonce,
       s.created_at,
       s.updated_at
  from vault.secrets s;

revoke all on vault.secrets, vault.decrypted_secrets from public;
revoke all on function vault.create_secret(text, text, text, uuid),
                       vault.update_secret(uuid, text, text, text, uuid) from public;
grant usage on schema vault to service_role;
grant select, delete on vault.secrets, vault.decrypted_secrets to service_role;
grant execute on function vault.create_secret(text, text, text, uuid),
                          vault.update_secret(uuid, text, text, text, uuid) to service_role;

