-- Who we are, which server this is, and how old its statistics are: seconds since this
-- database's statistics were last reset (NULL: never) and since the server started.
select current_user::text as current_user,
       current_setting('server_version_num')::int4 as server_version_num,
       extract(epoch from now() - pg_stat_get_db_stat_reset_time(
           (select oid from pg_database where datname = current_database())))::float8 as stats_reset_age_s,
       extract(epoch from now() - pg_postmaster_start_time())::float8 as uptime_s
