-- Statements BI tools send when they connect and list schemas, tables and
-- columns, replayed by TestIntrospectionReplay against store s1. Written for
-- this project from the tools' public behaviour (MariaDB Connector/J as used
-- by Metabase, MySQL Connector/J, Grafana's MySQL data source on
-- go-sql-driver, Superset on SQLAlchemy's MySQL dialect). Each statement is
-- preceded by a "-- tool: name" line; ";" ends it.

-- tool: metabase
SELECT @@max_allowed_packet,@@system_time_zone,@@time_zone,@@auto_increment_increment;
-- tool: metabase
SET autocommit=1, sql_mode = concat(@@sql_mode,',STRICT_TRANS_TABLES');
-- tool: metabase
SET NAMES utf8mb4;
-- tool: metabase
SELECT @@tx_read_only;
-- tool: metabase
SET SESSION TRANSACTION READ ONLY;
-- tool: metabase
SHOW DATABASES;
-- tool: metabase
SELECT TABLE_SCHEMA TABLE_CAT, NULL TABLE_SCHEM, TABLE_NAME, IF(TABLE_TYPE='BASE TABLE' or TABLE_TYPE='SYSTEM VERSIONED', 'TABLE', TABLE_TYPE) as TABLE_TYPE, TABLE_COMMENT REMARKS, NULL TYPE_CAT, NULL TYPE_SCHEM, NULL TYPE_NAME, NULL SELF_REFERENCING_COL_NAME, NULL REF_GENERATION FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = 's1' AND TABLE_NAME LIKE '%' ORDER BY TABLE_TYPE, TABLE_SCHEMA, TABLE_NAME;
-- tool: metabase
SELECT TABLE_SCHEMA TABLE_CAT, NULL TABLE_SCHEM, TABLE_NAME, COLUMN_NAME, CASE DATA_TYPE WHEN 'bit' THEN -7 WHEN 'tinyint' THEN -6 WHEN 'smallint' THEN 5 WHEN 'int' THEN 4 WHEN 'bigint' THEN -5 WHEN 'double' THEN 8 WHEN 'decimal' THEN 3 WHEN 'varchar' THEN 12 WHEN 'longtext' THEN -1 WHEN 'json' THEN -1 WHEN 'datetime' THEN 93 ELSE 1111 END DATA_TYPE, UCASE(IF(COLUMN_TYPE LIKE '%(%)%', CONCAT(SUBSTRING(COLUMN_TYPE,1, LOCATE('(',COLUMN_TYPE) - 1), SUBSTRING(COLUMN_TYPE, 1+locate(')', COLUMN_TYPE))), COLUMN_TYPE)) TYPE_NAME, CASE DATA_TYPE WHEN 'time' THEN 8 WHEN 'date' THEN 10 ELSE IF(NUMERIC_PRECISION IS NULL, LEAST(CHARACTER_MAXIMUM_LENGTH,2147483647), NUMERIC_PRECISION) END COLUMN_SIZE, 65535 BUFFER_LENGTH, NUMERIC_SCALE DECIMAL_DIGITS, 10 NUM_PREC_RADIX, IF(IS_NULLABLE = 'yes',1,0) NULLABLE, COLUMN_COMMENT REMARKS, COLUMN_DEFAULT COLUMN_DEF, 0 SQL_DATA_TYPE, 0 SQL_DATETIME_SUB, LEAST(CHARACTER_OCTET_LENGTH,2147483647) CHAR_OCTET_LENGTH, ORDINAL_POSITION, IS_NULLABLE, NULL SCOPE_CATALOG, NULL SCOPE_SCHEMA, NULL SCOPE_TABLE, NULL SOURCE_DATA_TYPE, IF(EXTRA = 'auto_increment','YES','NO') IS_AUTOINCREMENT, IF(EXTRA in ('VIRTUAL', 'PERSISTENT', 'VIRTUAL GENERATED', 'STORED GENERATED') ,'YES','NO') IS_GENERATEDCOLUMN FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA = 's1' AND TABLE_NAME LIKE 'patient' AND COLUMN_NAME LIKE '%' ORDER BY TABLE_CAT, TABLE_SCHEM, TABLE_NAME, ORDINAL_POSITION;
-- tool: metabase
SELECT A.TABLE_SCHEMA TABLE_CAT, NULL TABLE_SCHEM, A.TABLE_NAME, A.COLUMN_NAME, B.SEQ_IN_INDEX KEY_SEQ, B.INDEX_NAME PK_NAME FROM INFORMATION_SCHEMA.COLUMNS A, INFORMATION_SCHEMA.STATISTICS B WHERE A.COLUMN_KEY in ('PRI','pri') AND B.INDEX_NAME='PRIMARY' AND (A.TABLE_SCHEMA = 's1') AND (A.TABLE_NAME = 'patient') AND A.TABLE_SCHEMA = B.TABLE_SCHEMA AND A.TABLE_NAME = B.TABLE_NAME AND A.COLUMN_NAME = B.COLUMN_NAME ORDER BY A.COLUMN_NAME;
-- tool: metabase
SELECT TRUE AS `_` FROM `s1`.`patient` WHERE 1 <> 1 LIMIT 0;
-- tool: metabase
SELECT `patient`.`gender` AS `gender`, `patient`.`birthDate` AS `birthDate` FROM `s1`.`patient` LIMIT 10000;
-- tool: metabase
SELECT count(*) AS `count` FROM `s1`.`patient`;
-- tool: connectorj
SELECT @@session.auto_increment_increment AS auto_increment_increment, @@character_set_client AS character_set_client, @@character_set_connection AS character_set_connection, @@character_set_results AS character_set_results, @@character_set_server AS character_set_server, @@collation_server AS collation_server, @@collation_connection AS collation_connection, @@init_connect AS init_connect, @@interactive_timeout AS interactive_timeout, @@license AS license, @@lower_case_table_names AS lower_case_table_names, @@max_allowed_packet AS max_allowed_packet, @@net_write_timeout AS net_write_timeout, @@performance_schema AS performance_schema, @@sql_mode AS sql_mode, @@system_time_zone AS system_time_zone, @@time_zone AS time_zone, @@transaction_isolation AS transaction_isolation, @@wait_timeout AS wait_timeout;
-- tool: connectorj
SET character_set_results = NULL;
-- tool: connectorj
SELECT @@session.transaction_read_only;
-- tool: grafana
SELECT 1;
-- tool: grafana
SET time_zone = '+00:00';
-- tool: grafana
SELECT DISTINCT TABLE_SCHEMA from information_schema.TABLES where TABLE_TYPE != 'SYSTEM VIEW' ORDER BY TABLE_SCHEMA;
-- tool: grafana
SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() ORDER BY table_name;
-- tool: grafana
SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 's1' AND table_name = 'observation' ORDER BY ordinal_position;
-- tool: grafana
SELECT column_name FROM information_schema.columns WHERE table_name = 'patient' AND table_schema = DATABASE() AND data_type IN ('timestamp', 'datetime', 'date');
-- tool: superset
SHOW VARIABLES LIKE 'sql_mode';
-- tool: superset
SHOW VARIABLES LIKE 'lower_case_table_names';
-- tool: superset
SELECT DATABASE();
-- tool: superset
SHOW VARIABLES LIKE 'character_set%%';
-- tool: superset
SELECT CAST('test plain returns' AS CHAR(60)) AS anon_1;
-- tool: superset
SHOW SCHEMAS;
-- tool: superset
SHOW FULL TABLES FROM `s1`;
-- tool: superset
SHOW FULL TABLES FROM `s1` WHERE Table_type = 'VIEW';
-- tool: superset
SHOW CREATE TABLE `s1`.`patient`;
-- tool: superset
SHOW CREATE TABLE `s1`.`patient_demographics`;
-- tool: superset
DESCRIBE `s1`.`patient`;
-- tool: superset
SHOW INDEX FROM `patient` FROM `s1`;
-- tool: superset
SELECT `patient`.`gender`, count(*) AS count FROM `s1`.`patient` GROUP BY `patient`.`gender` LIMIT 100;
-- tool: mysql
SHOW TABLES;
-- tool: mysql
SHOW TABLE STATUS FROM `s1`;
-- tool: mysql
SELECT table_name, view_definition FROM information_schema.views WHERE table_schema = 's1';
-- tool: mysql
SHOW FULL COLUMNS FROM patient;
-- tool: mysql
SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = 's1' ORDER BY table_name;
-- tool: mysql
SELECT schema_name FROM information_schema.schemata ORDER BY schema_name;
