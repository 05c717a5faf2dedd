package sqlserver

import "strings"

// DuckDBHardening returns the statements the engine should run on each
// store's DuckDB right after opening it, before serving SQL: the second
// lock behind translation (the first is that sqlserver only ever sends
// SELECTs it wrote itself over the store's own tables and allow-listed
// functions).
//
// All of DuckDB's relevant settings are GLOBAL, i.e. per database instance,
// not per connection: SQL users and the engine's own code (writes, export)
// share them. So file access is switched off for everyone except the
// directories the engine itself needs (export staging, bulk import), passed
// as allowedDirs; memory_limit, threads and temp_directory must be set
// before these statements (temp_directory cannot change once external
// access is off); and after lock_configuration no SET works any more, for
// the engine either (force_mbedtls_unsafe, checkpoint settings: set first).
func DuckDBHardening(allowedDirs []string) []string {
	quoted := make([]string, 0, len(allowedDirs))
	for _, d := range allowedDirs {
		if !strings.HasSuffix(d, "/") {
			d += "/"
		}
		quoted = append(quoted, quoteString(d))
	}
	return []string{
		"SET autoinstall_known_extensions = false",
		"SET autoload_known_extensions = false",
		"SET allow_community_extensions = false",
		"SET allowed_directories = [" + strings.Join(quoted, ", ") + "]",
		"SET enable_external_access = false",
		"SET lock_configuration = true",
	}
}
