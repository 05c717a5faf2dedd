package fhirpath

// The syntax tree of a FHIRPath expression. Parse builds it; the evaluator
// and any later compiler (for example to SQL) walk it. Every node records the
// byte offset in the source where it starts.
//
// The tree is deliberately close to the FHIRPath grammar
// (http://hl7.org/fhirpath/N1/grammar.html):
//
//	Patient.name.where(use = 'official').given.first()
//
// parses to
//
//	Call{Name: "first", Target:
//	  Member{Name: "given", Target:
//	    Call{Name: "where", Args: [Binary{Op: "=", Left: Member{Name: "use"}, Right: Literal{String "official"}}],
//	      Target: Member{Name: "name", Target: Member{Name: "Patient"}}}}}
//
// A Member or Call with a nil Target applies to the focus ($this) of the
// scope it appears in: the input at the top level, each item inside the
// argument of where(), select(), all(), exists(), repeat() and so on.

// Node is a node of the syntax tree.
type Node interface {
	// Pos is the byte offset in the source where the node starts.
	Pos() int
	node()
}

// LiteralKind tells what a Literal holds.
type LiteralKind int

const (
	NullLiteral     LiteralKind = iota // {} — the empty collection
	BooleanLiteral                     // true, false; Value is bool
	StringLiteral                      // 'text'; Value is string (escapes resolved)
	IntegerLiteral                     // 42; Value is int64
	LongLiteral                        // 42L; Value is int64
	DecimalLiteral                     // 4.2; Value is Decimal
	DateLiteral                        // @2019-01-01; Value is Temporal
	DateTimeLiteral                    // @2019-01-01T10:00; Value is Temporal
	TimeLiteral                        // @T10:00; Value is Temporal
	QuantityLiteral                    // 5 'mg', 4 days; Value is Quantity
)

var literalKindNames = [...]string{"null", "boolean", "string", "integer", "long", "decimal", "date", "dateTime", "time", "quantity"}

func (k LiteralKind) String() string { return literalKindNames[k] }

// Literal is a constant: {}, true, 'text', 42, 42L, 4.2, @2019-01-01,
// @2019-01-01T10:00, @T10:00, 5 'mg'.
type Literal struct {
	At    int
	Kind  LiteralKind
	Value any // nil for NullLiteral; otherwise see LiteralKind
}

// Member is navigation to a child element: name, Target.name. With a nil
// Target it applies to the focus; a leading name that is a type name
// (Patient.name) filters the focus by type instead, as the spec says.
type Member struct {
	At     int
	Target Node // nil: the focus
	Name   string
}

// Call is a function invocation: name(args), Target.name(args).
// Arguments that name a type (ofType(Quantity), is(FHIR.Patient),
// as(String), getReferenceKey(Patient)) are parsed to *TypeSpecifier.
type Call struct {
	At     int
	Target Node // nil: the focus
	Name   string
	Args   []Node
}

// Index is the indexer: Target[Index].
type Index struct {
	At     int
	Target Node
	Index  Node
}

// Variable is an environment variable: %resource, %context, %ucum,
// %`vs-name`, or a caller-supplied constant. Name has no '%'.
type Variable struct {
	At   int
	Name string
}

// Special is $this, $index or $total; Name includes the '$'.
type Special struct {
	At   int
	Name string
}

// Unary is a polarity operator: -x, +x.
type Unary struct {
	At      int
	Op      string // "-" or "+"
	Operand Node
}

// Binary is an infix operator. Op is one of: "*", "/", "div", "mod" (multiplicative);
// "+", "-", "&" (additive); "|" (union); "<", "<=", ">", ">=" (inequality);
// "=", "~", "!=", "!~" (equality); "in", "contains" (membership); "and";
// "or", "xor"; "implies".
type Binary struct {
	At    int
	Op    string
	Left  Node
	Right Node
}

// TypeOp is the "is" or "as" operator: Operand is Type, Operand as Type.
type TypeOp struct {
	At      int
	Op      string // "is" or "as"
	Operand Node
	Type    *TypeSpecifier
}

// TypeSpecifier names a type: Quantity, FHIR.Quantity, System.String.
// Namespace is empty when the name is unqualified (the FHIR model is
// searched first, then System).
type TypeSpecifier struct {
	At        int
	Namespace string
	Name      string
}

func (n *Literal) Pos() int       { return n.At }
func (n *Member) Pos() int        { return n.At }
func (n *Call) Pos() int          { return n.At }
func (n *Index) Pos() int         { return n.At }
func (n *Variable) Pos() int      { return n.At }
func (n *Special) Pos() int       { return n.At }
func (n *Unary) Pos() int         { return n.At }
func (n *Binary) Pos() int        { return n.At }
func (n *TypeOp) Pos() int        { return n.At }
func (n *TypeSpecifier) Pos() int { return n.At }

func (*Literal) node()       {}
func (*Member) node()        {}
func (*Call) node()          {}
func (*Index) node()         {}
func (*Variable) node()      {}
func (*Special) node()       {}
func (*Unary) node()         {}
func (*Binary) node()        {}
func (*TypeOp) node()        {}
func (*TypeSpecifier) node() {}

// Walk calls fn for n and, depth first, for every node below it, stopping
// the descent below a node when fn returns false.
func Walk(n Node, fn func(Node) bool) {
	if n == nil || !fn(n) {
		return
	}
	switch n := n.(type) {
	case *Member:
		Walk(n.Target, fn)
	case *Call:
		Walk(n.Target, fn)
		for _, a := range n.Args {
			Walk(a, fn)
		}
	case *Index:
		Walk(n.Target, fn)
		Walk(n.Index, fn)
	case *Unary:
		Walk(n.Operand, fn)
	case *Binary:
		Walk(n.Left, fn)
		Walk(n.Right, fn)
	case *TypeOp:
		Walk(n.Operand, fn)
		Walk(n.Type, fn)
	}
}
