// Package load is the first stage of translate: it reads the files of one
// revision (an fs.FS) into typed objects of the Kubernetes, Gateway API
// and Envoy Gateway kinds, grouped by kind (Objects), each with the file
// and line it was read from for messages.
//
// It owns:
//   - finding the input files (.yaml, .yml, .json; hidden files and
//     directories left out) and bounding their size (read.go), and the
//     budgets of a whole revision (Limits, budget.go): bytes read, bytes
//     once YAML aliases are expanded (measured on the node tree before
//     a document is expanded), documents and objects; a revision over
//     one is a ParseError wrapping a LimitError naming the file, decided
//     in file order whatever the scheduling of the readers;
//   - YAML → JSON with yaml.v3's rules and limits (yamljson.go), and
//     re-indenting YAML that lost its indentation from the schema of
//     its kinds (translate/flatyaml, kinds.go);
//   - typing each document as its kind (kinds.go, decode.go); unknown
//     fields, type errors, unknown kinds and objects without a name
//     become warnings naming file, line, object and field; the checks
//     the API server would make before an object exists are given by
//     the caller (Options.Admit, ObjectError); a second copy of an
//     object is left out and listed in Objects.Duplicates (the first in
//     file order is the object);
//   - ParseError: YAML that cannot be read, naming file and line; it
//     rejects the whole revision;
//   - between revisions, the Cache of typed files by content identity
//     (cache.go), and the patch of the last revision's Objects in place
//     when few files changed (patch.go).
//
// translate consumes it through Read, or Cache.Read, Files.Decode and
// Revision.Patch; Objects.Derived keeps what translate derives from the
// Objects (its index by name).
//
// It must not know Gateway API semantics (attachment, references,
// status, defaults beyond an object's namespace), build IR or xDS, or
// import translate. Like translate it does no I/O beyond reading the
// given fs.FS, and map iteration never decides the order of its output.
package load
