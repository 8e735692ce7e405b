# sqlite3 on a database file: a table of 10,000 rows inserted one by one in a transaction,
# queried, indexed, then the same in WAL mode (shared-memory index file, locks).
# usage: sqlite.sh DIR (made afresh, removed after)
set -e
d=$1
rm -rf "$d"; mkdir -p "$d"
rows() { seq 1 10000 | sed "s/.*/INSERT INTO t(id, name, v) VALUES(&, 'row&', &*1.5);/"; }
{
	echo 'CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, v REAL);'
	echo 'BEGIN;'; rows; echo 'COMMIT;'
	echo 'SELECT count(*), sum(id), sum(v), min(name), max(name) FROM t;'
	echo 'SELECT * FROM t WHERE id % 2500 = 0;'
	echo 'CREATE INDEX t_name ON t(name);'
	echo "SELECT id FROM t WHERE name = 'row777';"
	echo 'SELECT length(name), count(*) FROM t GROUP BY 1 ORDER BY 1;'
	echo 'DELETE FROM t WHERE id > 5000; VACUUM;'
	echo 'PRAGMA integrity_check;'
} | sqlite3 "$d/t.db"
sqlite3 "$d/t.db" 'SELECT count(*) FROM t;'
{
	echo 'PRAGMA journal_mode=WAL;'
	echo 'CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, v REAL);'
	echo 'BEGIN;'; rows; echo 'COMMIT;'
	echo 'SELECT count(*), sum(v) FROM t;'
	echo 'PRAGMA wal_checkpoint(TRUNCATE);'
} | sqlite3 "$d/w.db"
sqlite3 "$d/w.db" 'PRAGMA integrity_check; SELECT max(id) FROM t;'
rm -rf "$d"
