-- Who we are and which server this is.
select current_user::text as current_user,
       current_setting('server_version_num')::int4 as server_version_num
