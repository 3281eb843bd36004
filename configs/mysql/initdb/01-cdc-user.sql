-- The CDC connector reads the binary log: it needs replication privileges beyond its database.
GRANT REPLICATION SLAVE, REPLICATION CLIENT, SELECT, RELOAD, SHOW DATABASES ON *.* TO 'cdc'@'%';
FLUSH PRIVILEGES;
