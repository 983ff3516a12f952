/* arm64 instructions in Go's assembler syntax, as `go tool pprof -disasm`
 * prints them for Go programs: pprof decodes with Go's own decoder
 * (golang.org/x/arch/arm64/arm64asm) and prints its GoSyntax.  hearth
 * decodes with capstone (its text, in the ARM manual's order and aliases)
 * and writes what Go prints there:
 *
 *   - Go's mnemonics: loads and stores as MOVD, MOVW, MOVWU, MOVB, MOVBU,
 *     MOVH, MOVHU, FMOVS, FMOVD, FMOVQ (with .P and .W for post- and
 *     pre-index), LDP/STP with W, FLDPD..., a W suffix on 32-bit forms, a V
 *     prefix on vector forms, an S or D suffix on scalar floating point,
 *     CALL and JMP for BL, BLR, B and BR, B<cond>, NOOP;
 *   - operands last to first, registers R0..R30, ZR and RSP, F0..F31 for
 *     floating point, V0.B16 for vectors, memory as off(Rn), (Rn)(Rm<<s)
 *     and (Rn)(Rm.UXTW<<s), shifted registers R1<<3, R1>>3, R1->3, R1@>3,
 *     immediates $n (64-bit bitmasks and MOV constants signed, others
 *     unsigned), $(imm<<shift);
 *   - branch targets named by symbol when they start one (sym(SB)), else
 *     counted in instructions (3(PC)); ADR and ADRP in bytes;
 *   - the aliases Go's decoder prefers: MOV for MOVZ/MOVN where the ARM
 *     manual prefers it and for ORR with a bitmask no MOVZ/MOVN can make,
 *     VMOV for INS and UMOV;
 *   - what Go's decoder does not know (LSE atomics, pointer
 *     authentication, SVE, ...) is "?", four bytes.
 *
 * These are facts about the output, checked against go tool pprof by
 * tests/cli/goasm.sh, not a port of Go's decoder. */
#include <capstone/capstone.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "goasm.h"

/* The operations Go's decoder knows (arm64asm's names, less HVC and SMC,
 * which it names but never decodes); capstone reading anything else gives
 * "?". */
static const char known_ops[] =
    " ABS ADC ADCS ADD ADDHN ADDHN2 ADDP ADDS ADDV ADR ADRP AESD AESE AESIMC AESMC AND ANDS "
    "ASR ASRV AT B BFI BFM BFXIL BIC BICS BIF BIT BL BLR BR BRK BSL CBNZ CBZ CCMN CCMP CINC "
    "CINV CLREX CLS CLZ CMEQ CMGE CMGT CMHI CMHS CMLE CMLT CMN CMP CMTST CNEG CNT CRC32B "
    "CRC32CB CRC32CH CRC32CW CRC32CX CRC32H CRC32W CRC32X CSEL CSET CSETM CSINC CSINV CSNEG "
    "DC DCPS1 DCPS2 DCPS3 DMB DRPS DSB DUP EON EOR ERET EXT EXTR FABD FABS FACGE FACGT FADD "
    "FADDP FCCMP FCCMPE FCMEQ FCMGE FCMGT FCMLE FCMLT FCMP FCMPE FCSEL FCVT FCVTAS FCVTAU "
    "FCVTL FCVTL2 FCVTMS FCVTMU FCVTN FCVTN2 FCVTNS FCVTNU FCVTPS FCVTPU FCVTXN FCVTXN2 "
    "FCVTZS FCVTZU FDIV FMADD FMAX FMAXNM FMAXNMP FMAXNMV FMAXP FMAXV FMIN FMINNM FMINNMP "
    "FMINNMV FMINP FMINV FMLA FMLS FMOV FMSUB FMUL FMULX FNEG FNMADD FNMSUB FNMUL FRECPE "
    "FRECPS FRECPX FRINTA FRINTI FRINTM FRINTN FRINTP FRINTX FRINTZ FRSQRTE FRSQRTS FSQRT "
    "FSUB HINT HLT IC INS ISB LD1 LD1R LD2 LD2R LD3 LD3R LD4 LD4R LDAR LDARB LDARH LDAXP "
    "LDAXR LDAXRB LDAXRH LDNP LDP LDPSW LDR LDRB LDRH LDRSB LDRSH LDRSW LDTR LDTRB LDTRH "
    "LDTRSB LDTRSH LDTRSW LDUR LDURB LDURH LDURSB LDURSH LDURSW LDXP LDXR LDXRB LDXRH LSL "
    "LSLV LSR LSRV MADD MLA MLS MNEG MOV MOVI MOVK MOVN MOVZ MRS MSR MSUB MUL MVN MVNI NEG "
    "NEGS NGC NGCS NOP NOT ORN ORR PMUL PMULL PMULL2 PRFM PRFUM RADDHN RADDHN2 RBIT RET REV "
    "REV16 REV32 REV64 ROR RORV RSHRN RSHRN2 RSUBHN RSUBHN2 SABA SABAL SABAL2 SABD SABDL "
    "SABDL2 SADALP SADDL SADDL2 SADDLP SADDLV SADDW SADDW2 SBC SBCS SBFIZ SBFM SBFX SCVTF "
    "SDIV SEV SEVL SHA1C SHA1H SHA1M SHA1P SHA1SU0 SHA1SU1 SHA256H SHA256H2 SHA256SU0 "
    "SHA256SU1 SHADD SHL SHLL SHLL2 SHRN SHRN2 SHSUB SLI SMADDL SMAX SMAXP SMAXV SMIN "
    "SMINP SMINV SMLAL SMLAL2 SMLSL SMLSL2 SMNEGL SMOV SMSUBL SMULH SMULL SMULL2 SQABS SQADD "
    "SQDMLAL SQDMLAL2 SQDMLSL SQDMLSL2 SQDMULH SQDMULL SQDMULL2 SQNEG SQRDMULH SQRSHL "
    "SQRSHRN SQRSHRN2 SQRSHRUN SQRSHRUN2 SQSHL SQSHLU SQSHRN SQSHRN2 SQSHRUN SQSHRUN2 SQSUB "
    "SQXTN SQXTN2 SQXTUN SQXTUN2 SRHADD SRI SRSHL SRSHR SRSRA SSHL SSHLL SSHLL2 SSHR SSRA "
    "SSUBL SSUBL2 SSUBW SSUBW2 ST1 ST2 ST3 ST4 STLR STLRB STLRH STLXP STLXR STLXRB STLXRH "
    "STNP STP STR STRB STRH STTR STTRB STTRH STUR STURB STURH STXP STXR STXRB STXRH SUB "
    "SUBHN SUBHN2 SUBS SUQADD SVC SXTB SXTH SXTL SXTL2 SXTW SYS SYSL TBL TBNZ TBX TBZ TLBI "
    "TRN1 TRN2 TST UABA UABAL UABAL2 UABD UABDL UABDL2 UADALP UADDL UADDL2 UADDLP UADDLV "
    "UADDW UADDW2 UBFIZ UBFM UBFX UCVTF UDIV UHADD UHSUB UMADDL UMAX UMAXP UMAXV UMIN UMINP "
    "UMINV UMLAL UMLAL2 UMLSL UMLSL2 UMNEGL UMOV UMSUBL UMULH UMULL UMULL2 UQADD UQRSHL "
    "UQRSHRN UQRSHRN2 UQSHL UQSHRN UQSHRN2 UQSUB UQXTN UQXTN2 URECPE URHADD URSHL URSHR "
    "URSQRTE URSRA USHL USHLL USHLL2 USHR USQADD USRA USUBL USUBL2 USUBW USUBW2 UXTB UXTH "
    "UXTL UXTL2 UZP1 UZP2 WFE WFI XTN XTN2 YIELD ZIP1 ZIP2 ";

/* The operations Go writes without a W suffix or V prefix. */
static const char no_suffix_ops[] =
    " AESD AESE AESIMC AESMC CRC32B CRC32CB CRC32CH CRC32CW CRC32CX CRC32H CRC32W CRC32X "
    "LDARB LDARH LDAXRB LDAXRH LDTRH LDXRB LDXRH SHA1C SHA1H SHA1M SHA1P SHA1SU0 SHA1SU1 "
    "SHA256H SHA256H2 SHA256SU0 SHA256SU1 ";

static bool is(const char *op, const char *a)
{
	return !strcmp(op, a);
}

/* One operand as capstone writes it, read back. */
enum kind { K_NONE, K_REG, K_VREG, K_IMM, K_FIMM, K_MEM, K_COND, K_NAME };
enum mode { M_OFFSET, M_PRE, M_POST, M_POSTREG, M_EXT };

typedef struct {
	enum kind kind;
	/* registers: class w, x, b, h, s, d, q or v; number; sp for SP/WSP */
	char rc;
	int reg;
	bool sp;
	/* a shift or extension after a register (lsl, uxtw, ...), or the
	 * lsl after an immediate */
	char ext[5];
	int amount;
	bool has_amount;
	/* immediates */
	uint64_t imm;
	double fimm;
	/* vectors: arrangement ("16b", "d"), list length (0: no list),
	 * element index (-1: none) */
	char arr[4];
	int cnt, index;
	/* memory: base register number, mode, offset or index register */
	enum mode mode;
	int64_t off;
	int idx;
	char idx_rc;
	char name[24]; /* conditions and other names, lower case */
} oper;

#define MAXOPS 6
#define ARGLEN 160

/* What the instruction's formatting works with. */
typedef struct {
	const hearth_goasm *g;
	uint64_t pc;
	uint32_t x;	/* the instruction word */
	char op[24];	/* Go's operation (upper case), before suffixes */
	oper a[MAXOPS]; /* Go's Args, in the manual's order */
	int n;
	char *s[MAXOPS]; /* their text (plan9Arg), in store or dyn */
	char store[MAXOPS][ARGLEN];
	char *dyn; /* a PC-relative operand's symbol name can be long */
} inst;

/* capstone's "#-0x8", "#0xfffffffffffffff8" or "#12" (without the #). */
static uint64_t num(const char *t)
{
	if (t[0] == '-')
		return -strtoull(t + 1, NULL, 0);
	return strtoull(t, NULL, 0);
}

static bool parse_reg(const char *t, oper *o)
{
	char *end;
	if (!strcmp(t, "sp") || !strcmp(t, "wsp")) {
		o->kind = K_REG;
		o->rc = t[0] == 'w' ? 'w' : 'x';
		o->reg = 31;
		o->sp = true;
		return true;
	}
	if (!strcmp(t, "xzr") || !strcmp(t, "wzr")) {
		o->kind = K_REG;
		o->rc = t[0];
		o->reg = 31;
		return true;
	}
	if (!strchr("wxbhsdqv", t[0]) || !isdigit((unsigned char)t[1]))
		return false;
	long r = strtol(t + 1, &end, 10);
	if (r < 0 || r > 31)
		return false;
	o->rc = t[0];
	o->reg = (int)r;
	o->index = -1;
	if (t[0] == 'v' && *end == '.') {
		size_t k = 0;
		end++;
		while (isalnum((unsigned char)*end) && k < sizeof(o->arr) - 1)
			o->arr[k++] = *end++;
		o->arr[k] = 0;
		o->kind = K_VREG;
		if (*end == '[') {
			o->index = (int)strtol(end + 1, &end, 0);
			if (*end != ']')
				return false;
			end++;
		}
		return *end == 0;
	}
	o->kind = K_REG;
	return *end == 0;
}

static const char *const conds[] = {"eq", "ne", "hs", "lo", "mi", "pl", "vs", "vc", "hi", "ls",
				    "ge", "lt", "gt", "le", "al", "nv", "cs", "cc", NULL};

static bool is_ext(const char *t, size_t n)
{
	static const char *const e[] = {"lsl",	"lsr",	"asr",	"ror",	"msl",	"uxtb", "uxth",
					"uxtw", "uxtx", "sxtb", "sxth", "sxtw", "sxtx", NULL};
	for (int i = 0; e[i]; i++)
		if (strlen(e[i]) == n && !strncmp(t, e[i], n))
			return true;
	return false;
}

/* A shift or extension ("lsl #3", "uxtw") onto o. */
static bool parse_ext(const char *t, oper *o)
{
	size_t n = strcspn(t, " ");
	if (!is_ext(t, n))
		return false;
	memcpy(o->ext, t, n);
	o->ext[n] = 0;
	if (t[n] == ' ' && t[n + 1] == '#') {
		o->amount = (int)strtol(t + n + 2, NULL, 0);
		o->has_amount = true;
	}
	return true;
}

/* "[x1, #8]", "[x1, x2, lsl #3]", with "!" after for pre-index. */
static bool parse_mem(const char *t, oper *o)
{
	char buf[96];
	size_t n = strlen(t);
	if (n < 3 || n >= sizeof(buf))
		return false;
	o->kind = K_MEM;
	o->mode = M_OFFSET;
	if (t[n - 1] == '!') {
		o->mode = M_PRE;
		n--;
	}
	if (t[n - 1] != ']')
		return false;
	memcpy(buf, t + 1, n - 2);
	buf[n - 2] = 0;
	char *parts[3] = {buf, NULL, NULL};
	int np = 1;
	for (char *p = buf; *p && np < 3; p++)
		if (*p == ',') {
			*p = 0;
			p++;
			while (*p == ' ')
				p++;
			parts[np++] = p;
			p--;
		}
	oper b = {0};
	if (!parse_reg(parts[0], &b) || b.kind != K_REG)
		return false;
	o->reg = b.reg;
	o->idx = -1;
	if (np >= 2) {
		if (parts[1][0] == '#') {
			o->off = (int64_t)num(parts[1] + 1);
		} else {
			oper r = {0};
			if (!parse_reg(parts[1], &r) || r.kind != K_REG)
				return false;
			o->mode = M_EXT;
			o->idx = r.reg;
			o->idx_rc = r.rc;
		}
	}
	return true;
}

/* Splits capstone's operand text at the commas outside brackets and
 * braces and reads each part; a shift or extension joins the operand
 * before it, and "[xn], #imm" or "[xn], xm" becomes one post-indexed
 * operand. */
static bool parse_ops(const char *s, inst *in)
{
	char tok[MAXOPS * 2][96];
	int nt = 0, depth = 0;
	size_t k = 0;
	for (const char *p = s;; p++) {
		if (*p == '[' || *p == '{')
			depth++;
		else if (*p == ']' || *p == '}')
			depth--;
		if (!*p || (*p == ',' && depth == 0)) {
			if (nt >= MAXOPS * 2)
				return false;
			tok[nt][k] = 0;
			nt++;
			k = 0;
			if (!*p)
				break;
			while (p[1] == ' ')
				p++;
			continue;
		}
		if (k >= sizeof(tok[0]) - 1)
			return false;
		tok[nt][k++] = *p;
	}
	if (nt == 1 && !tok[0][0])
		nt = 0;
	in->n = 0;
	for (int i = 0; i < nt; i++) {
		const char *t = tok[i];
		if (in->n > 0 && parse_ext(t, &in->a[in->n - 1]))
			continue;
		if (in->n >= MAXOPS)
			return false;
		oper *o = &in->a[in->n];
		memset(o, 0, sizeof(*o));
		o->index = -1;
		if (in->n > 0 && in->a[in->n - 1].kind == K_MEM &&
		    in->a[in->n - 1].mode == M_OFFSET && in->a[in->n - 1].off == 0 &&
		    in->a[in->n - 1].idx < 0) {
			oper *m = &in->a[in->n - 1];
			oper r = {0};
			if (t[0] == '#') {
				m->mode = M_POST;
				m->off = (int64_t)num(t + 1);
				continue;
			}
			if (parse_reg(t, &r) && r.kind == K_REG) {
				m->mode = M_POSTREG;
				m->idx = r.reg;
				continue;
			}
		}
		if (t[0] == '[') {
			if (!parse_mem(t, o))
				return false;
		} else if (t[0] == '{') {
			const char *close = strchr(t, '}');
			oper r = {0};
			char first[24];
			size_t fl = strcspn(t + 1, ",}");
			if (!close || fl >= sizeof(first))
				return false;
			memcpy(first, t + 1, fl);
			first[fl] = 0;
			if (!parse_reg(first, &r) || r.kind != K_VREG)
				return false;
			*o = r;
			o->cnt = 1;
			for (const char *p = t; p < close; p++)
				o->cnt += *p == ',';
			o->index = -1;
			if (close[1] == '[')
				o->index = (int)strtol(close + 2, NULL, 0);
		} else if (t[0] == '#') {
			if (strchr(t, '.') && !strstr(t, "0x")) {
				o->kind = K_FIMM;
				o->fimm = strtod(t + 1, NULL);
			} else {
				o->kind = K_IMM;
				o->imm = num(t + 1);
			}
		} else if (!parse_reg(t, o)) {
			memset(o, 0, sizeof(*o));
			o->index = -1;
			o->kind = K_NAME;
			for (int c = 0; conds[c]; c++)
				if (!strcmp(t, conds[c]))
					o->kind = K_COND;
			snprintf(o->name, sizeof(o->name), "%s", t);
		}
		in->n++;
	}
	return true;
}

static bool is_fpreg(const oper *o)
{
	return o->kind == K_REG && strchr("bhsdq", o->rc);
}

static bool is_wreg(const oper *o)
{
	return o->kind == K_REG && o->rc == 'w';
}

/* Go's general register: R0..R30, ZR (or RSP where the operand is SP). */
static void gpr(char *out, size_t n, const oper *o)
{
	if (o->reg == 31)
		snprintf(out, n, "%s", o->sp ? "RSP" : "ZR");
	else
		snprintf(out, n, "R%d", o->reg);
}

/* "16b" as Go writes it: "B16". */
static void arrangement(char *out, size_t n, const char *arr)
{
	size_t d = strspn(arr, "0123456789");
	snprintf(out, n, ".%c%.*s", toupper((unsigned char)arr[d]), (int)d, arr);
}

/* Go's %f of v, its trailing zeros cut ("$1.", "$0.5"). */
static void fp_imm(char *out, size_t n, double v)
{
	snprintf(out, n, "$%f", v);
	size_t l = strlen(out);
	while (l > 0 && out[l - 1] == '0')
		out[--l] = 0;
}

static void mem_text(char *out, size_t n, const oper *o)
{
	char base[8];
	if (o->reg == 31)
		snprintf(base, sizeof(base), "(RSP)");
	else
		snprintf(base, sizeof(base), "(R%d)", o->reg);
	if (o->mode == M_POSTREG)
		snprintf(out, n, "%s(R%d)", base, o->idx);
	else if (o->off)
		snprintf(out, n, "%lld%s", (long long)o->off, base);
	else
		snprintf(out, n, "%s", base);
}

/* The register-offset load or store's (Rn)(Rm...) from its bits; size is
 * log2 of the access in bytes. */
static void mem_ext_text(char *out, size_t n, uint32_t x, int size)
{
	unsigned rn = (x >> 5) & 31, rm = (x >> 16) & 31, option = (x >> 13) & 7, s = (x >> 12) & 1;
	char base[8], idx[8];
	if (rn == 31)
		snprintf(base, sizeof(base), "(RSP)");
	else
		snprintf(base, sizeof(base), "(R%u)", rn);
	if (rm == 31)
		snprintf(idx, sizeof(idx), "ZR");
	else
		snprintf(idx, sizeof(idx), "R%u", rm);
	int amount = s ? size : 0;
	bool must_zero = size == 0;
	if (size == 0)
		amount = (int)s;
	const char *ext = option == 2 ? "UXTW" : option == 3 ? NULL : option == 6 ? "SXTW" : "SXTX";
	if (!ext) {
		if (amount && !must_zero)
			snprintf(out, n, "%s(%s<<%d)", base, idx, amount);
		else if (must_zero && amount == 1)
			snprintf(out, n, "%s(%s<<0)", base, idx);
		else
			snprintf(out, n, "%s(%s)", base, idx);
	} else if (amount && !must_zero) {
		snprintf(out, n, "%s(%s.%s<<%d)", base, idx, ext, amount);
	} else {
		snprintf(out, n, "%s(%s.%s)", base, idx, ext);
	}
}

/* The target of a PC-relative operand as Go writes it: a symbol's name
 * where it starts one, else the distance in instructions. */
static void pcrel(inst *in, int i, int64_t off, const char *pre)
{
	uint64_t to = in->pc + (uint64_t)off, base;
	const char *s = hearth_goasm_lookup(in->g->syms, to, &base);
	if (s && base == to) {
		size_t n = strlen(s) + 8;
		char *d = malloc(n);
		if (d) {
			free(in->dyn);
			in->dyn = d;
			snprintf(d, n, "%s%s(SB)", pre, s);
			in->s[i] = d;
			return;
		}
	}
	if (!*pre)
		snprintf(in->s[i], ARGLEN, "%lld(PC)", (long long)(off / 4));
}

/* The data cache operations Go's decoder names: op1, CRm, op2 (CRn 7),
 * from the ARM manual's table of DC. */
static const struct {
	uint8_t op1, crm, op2;
	const char *name;
} dc_ops[] = {
    {0, 6, 1, "IVAC"},	  {0, 6, 2, "ISW"},	 {0, 10, 2, "CSW"},    {0, 14, 2, "CISW"},
    {3, 4, 1, "ZVA"},	  {3, 10, 1, "CVAC"},	 {3, 11, 1, "CVAU"},   {3, 14, 1, "CIVAC"},
    {0, 6, 3, "IGVAC"},	  {0, 6, 4, "IGSW"},	 {0, 6, 5, "IGDVAC"},  {0, 6, 6, "IGDSW"},
    {0, 10, 4, "CGSW"},	  {0, 10, 6, "CGDSW"},	 {0, 14, 4, "CIGSW"},  {0, 14, 6, "CIGDSW"},
    {3, 4, 3, "GVA"},	  {3, 4, 4, "GZVA"},	 {3, 10, 3, "CGVAC"},  {3, 10, 5, "CGDVAC"},
    {3, 12, 3, "CGVAP"},  {3, 12, 5, "CGDVAP"},	 {3, 13, 3, "CGVADP"}, {3, 13, 5, "CGDVADP"},
    {3, 14, 3, "CIGVAC"}, {3, 14, 5, "CIGDVAC"}, {3, 12, 1, "CVAP"},   {3, 13, 1, "CVADP"},
};

static void xreg(char *out, size_t n, unsigned r)
{
	if (r == 31)
		snprintf(out, n, "ZR");
	else
		snprintf(out, n, "R%u", r);
}

/* The system instructions (hints, barriers, system registers, SYS), from
 * their bits: Go's decoder reads fewer of them than capstone.  1 when
 * written to out, 0 for "?", -1 outside this space (and for TLBI, which
 * capstone names). */
static int system_insn(uint32_t x, hearth_buf *out)
{
	char r[8];
	xreg(r, sizeof(r), x & 31);
	if ((x & 0xffc00000) != 0xd5000000)
		return -1;
	if ((x & 0xfffff01f) == 0xd503201f) {
		static const char *const named[] = {"NOOP", "YIELD", "WFE", "WFI", "SEV", "SEVL"};
		unsigned h = (x >> 5) & 127;
		if (h < 6)
			hearth_buf_puts(out, named[h]);
		else
			hearth_buf_printf(out, "HINT $%u", h);
		return 1;
	}
	unsigned crm = (x >> 8) & 15;
	if ((x & 0xfffff0ff) == 0xd503305f) {
		hearth_buf_printf(out, "CLREX $%u", crm);
		return 1;
	}
	if ((x & 0xfffff09f) == 0xd503309f && ((x >> 5) & 7) != 3) {
		unsigned op2 = (x >> 5) & 7;
		hearth_buf_printf(out, "%s $%u", op2 == 4 ? "DSB" : op2 == 5 ? "DMB" : "ISB", crm);
		return 1;
	}
	if ((x & 0xfff8f01f) == 0xd500401f) {
		uint32_t op1 = (x >> 16) & 7, op2 = (x >> 5) & 7;
		const char *f = op1 == 0 && op2 == 5   ? "SPSel"
				: op1 == 3 && op2 == 6 ? "DAIFSet"
				: op1 == 3 && op2 == 7 ? "DAIFClr"
						       : NULL;
		if (!f)
			return 0;
		hearth_buf_printf(out, "MSR $%u, %s", crm, f);
		return 1;
	}
	unsigned op1 = (x >> 16) & 7, crn = (x >> 12) & 15, op2 = (x >> 5) & 7;
	if ((x & 0xfff80000) == 0xd5080000) {
		if (crn == 8)
			return -1;
		for (size_t i = 0; crn == 7 && i < sizeof(dc_ops) / sizeof(dc_ops[0]); i++)
			if (dc_ops[i].op1 == op1 && dc_ops[i].crm == crm && dc_ops[i].op2 == op2) {
				hearth_buf_printf(out, "DC %s, %s", dc_ops[i].name, r);
				return 1;
			}
		return 0;
	}
	if ((x & 0xfff80000) == 0xd5280000) {
		hearth_buf_printf(out, "SYSL $%u, %s", op1 << 16 | crn << 12 | crm << 8 | op2 << 5,
				  r);
		return 1;
	}
	if ((x & 0xfff00000) == 0xd5300000) {
		hearth_buf_printf(out, "MRS $%u, %s",
				  ((x >> 19) & 1) << 14 | op1 << 11 | crn << 7 | crm << 3 | op2, r);
		return 1;
	}
	if ((x & 0xfff00000) == 0xd5100000) {
		hearth_buf_printf(out, "MSR %s, S%u_%u_C%u_C%u_%u", r, (x >> 19) & 3, op1, crn, crm,
				  op2);
		return 1;
	}
	return 0;
}

static int64_t sext(uint64_t v, int bits)
{
	return (int64_t)(v << (64 - bits)) >> (64 - bits);
}

/* plan9Arg: operand i's text. */
static void arg_text(inst *in, int i)
{
	oper *o = &in->a[i];
	char *out = in->s[i];
	size_t n = ARGLEN;
	char r[16], ar[8];
	switch (o->kind) {
	case K_REG:
		if (strchr("bhsdq", o->rc)) {
			size_t l = strlen(in->op);
			bool f = in->op[0] == 'F' || (l >= 4 && !strcmp(in->op + l - 4, "CVTF")) ||
				 is(in->op, "LDP") || is(in->op, "STP");
			snprintf(out, n, "%c%d", f ? 'F' : 'V', o->reg);
			return;
		}
		gpr(r, sizeof(r), o);
		if (o->ext[0] && !strcmp(o->ext, "msl")) {
			snprintf(out, n, "%s", r);
		} else if (o->ext[0] && strchr("lar", o->ext[0])) {
			const char *sh = !strcmp(o->ext, "lsl")	  ? "<<"
					 : !strcmp(o->ext, "lsr") ? ">>"
					 : !strcmp(o->ext, "asr") ? "->"
								  : "@>";
			snprintf(out, n, "%s%s%d", r, sh, o->amount);
		} else if (o->ext[0]) {
			char e[8];
			for (int k = 0; k < 5; k++)
				e[k] = (char)toupper((unsigned char)o->ext[k]);
			if (o->amount)
				snprintf(out, n, "%s.%s<<%d", r, e, o->amount);
			else
				snprintf(out, n, "%s.%s", r, e);
		} else {
			snprintf(out, n, "%s", r);
		}
		return;
	case K_VREG: {
		arrangement(ar, sizeof(ar), o->arr);
		size_t l = 0;
		int cnt = o->cnt;
		bool bracket = o->index < 0 ? cnt > 0 : cnt > 1;
		if (bracket)
			l += (size_t)snprintf(out + l, n - l, "[");
		for (int k = 0; k < (cnt ? cnt : 1) && l < n; k++)
			l += (size_t)snprintf(out + l, n - l, "%sV%d%s", k ? ", " : "",
					      (o->reg + k) & 31, ar);
		if (bracket && l < n)
			l += (size_t)snprintf(out + l, n - l, "]");
		if (o->index >= 0 && l < n)
			snprintf(out + l, n - l, "[%d]", o->index);
		return;
	}
	case K_IMM:
		/* Go writes MSL's shift as 128 more than it is. */
		if (o->ext[0] && o->amount)
			snprintf(out, n, "$(%llu<<%d)", (unsigned long long)o->imm,
				 o->amount + (strcmp(o->ext, "msl") ? 0 : 128));
		else
			snprintf(out, n, "$%lld", (long long)o->imm);
		return;
	case K_FIMM:
		/* #0.0 of a comparison with zero is the integer 0 to Go. */
		if (o->fimm == 0)
			snprintf(out, n, "$0");
		else
			fp_imm(out, n, o->fimm);
		return;
	case K_MEM:
		mem_text(out, n, o);
		return;
	case K_COND:
		for (size_t k = 0; k < 3; k++)
			out[k] = (char)toupper((unsigned char)o->name[k]);
		/* Go names condition 15 as 14: AL. */
		if (!strcmp(out, "CS"))
			snprintf(out, n, "HS");
		else if (!strcmp(out, "NV"))
			snprintf(out, n, "AL");
		else if (!strcmp(out, "CC"))
			snprintf(out, n, "LO");
		return;
	case K_NAME: {
		size_t k = 0;
		for (; o->name[k] && k < n - 1; k++)
			out[k] = (char)toupper((unsigned char)o->name[k]);
		out[k] = 0;
		return;
	}
	case K_NONE:
		out[0] = 0;
		return;
	}
}

static void swap(inst *in, int i, int j)
{
	char *t = in->s[i];
	in->s[i] = in->s[j];
	in->s[j] = t;
}

/* Whether a MOVZ or MOVN makes the bitmask immediate (the ARM manual's
 * MoveWidePreferred), so that ORR shows as ORR and not as MOV. */
static bool move_wide_preferred(uint32_t sf, uint32_t nbit, uint32_t imms, uint32_t immr)
{
	if (sf == 1 && nbit != 1)
		return false;
	if (sf == 0 && !(nbit == 0 && ((imms >> 5) & 1) == 0))
		return false;
	if (imms < 16)
		return ((0u - immr) % 16) <= (15 - imms);
	uint32_t width = sf ? 64 : 32;
	if (imms >= width - 15)
		return (immr % 16) <= (imms - (width - 15));
	return false;
}

/* The ARM manual's DecodeBitMasks for a logical immediate, without its
 * refusal of an all-ones element, which Go's decoder reads too. */
static bool bitmask(uint32_t x, uint64_t *out)
{
	unsigned nbit = (x >> 22) & 1, imms = (x >> 10) & 63, immr = (x >> 16) & 63;
	unsigned datasize = x >> 31 ? 64 : 32, len;
	if (nbit) {
		len = 6;
	} else {
		unsigned nimms = ~imms & 63;
		if (!nimms)
			return false;
		len = 31u - (unsigned)__builtin_clz(nimms);
		if (len < 1)
			return false;
	}
	unsigned esize = 1u << len;
	if (esize > datasize)
		return false;
	unsigned s = imms & (esize - 1), r = immr & (esize - 1);
	uint64_t welem = s + 1 >= 64 ? ~0ull : (1ull << (s + 1)) - 1;
	uint64_t emask = esize == 64 ? ~0ull : (1ull << esize) - 1;
	uint64_t ror = r ? ((welem >> r) | (welem << (esize - r))) & emask : welem;
	uint64_t m = 0;
	for (unsigned i = 0; i < datasize; i += esize)
		m = (esize == 64 ? 0 : m << esize) | ror;
	*out = m;
	return true;
}

/* Where capstone refuses an encoding that Go's decoder reads (what the ARM
 * manual calls unpredictable: a pair load into one register, write-back
 * to the register loaded; an extended register shifted by more than 4; a
 * logical immediate of all ones), capstone reads a changed word, and this
 * says what to put back. */
typedef struct {
	int nregs;
	int from[3], to[3]; /* a register number capstone saw, and the word's */
	int ext_amount;	    /* >= 0: the extension's shift */
	bool has_mask;
	uint64_t mask; /* the logical immediate */
} repair;

static bool cs_read(hearth_goasm *g, uint32_t w, uint64_t pc)
{
	uint8_t b[4] = {(uint8_t)w, (uint8_t)(w >> 8), (uint8_t)(w >> 16), (uint8_t)(w >> 24)};
	const uint8_t *p = b;
	size_t left = 4;
	uint64_t at = pc;
	return cs_disasm_iter(g->cs, &p, &left, &at, g->insn) && g->insn->size == 4;
}

static bool read_insn(hearth_goasm *g, uint32_t x, uint64_t pc, repair *rp)
{
	memset(rp, 0, sizeof(*rp));
	rp->ext_amount = -1;
	if (cs_read(g, x, pc))
		return true;
	int fields[3], nf = 0;
	if ((x & 0x3a000000) == 0x28000000) { /* load/store pair */
		fields[nf++] = 0;
		fields[nf++] = 10;
	} else if ((x & 0x3f000000) == 0x08000000) { /* exclusive */
		fields[nf++] = 0;
		fields[nf++] = 10;
		fields[nf++] = 16;
	} else if ((x & 0x3b200000) == 0x38000000 && ((x >> 10) & 3)) {
		/* pre- and post-index, unprivileged */
		fields[nf++] = 0;
	}
	if (nf) {
		bool used[32] = {false};
		used[31] = true;
		for (int sh = 0; sh <= 16; sh += sh == 10 ? 6 : 5)
			used[(x >> sh) & 31] = true;
		int freev[3], k = 0;
		for (int v = 0; v < 31 && k < 3; v++)
			if (!used[v])
				freev[k++] = v;
		for (int m = 1; m < (1 << nf); m++) {
			uint32_t w = x;
			rp->nregs = 0;
			for (int i = 0; i < nf; i++)
				if (m & (1 << i)) {
					rp->from[rp->nregs] = freev[i];
					rp->to[rp->nregs] = (int)((x >> fields[i]) & 31);
					rp->nregs++;
					w = (w & ~(31u << fields[i])) |
					    ((uint32_t)freev[i] << fields[i]);
				}
			if (cs_read(g, w, pc))
				return true;
		}
		rp->nregs = 0;
		return false;
	}
	if ((x & 0xbfe0fc00) == 0x0e000c00 && ((x >> 16) & 31)) {
		/* DUP (general) reads imm5's lowest set bit only. */
		uint32_t imm5 = (x >> 16) & 31;
		return cs_read(g, (x & ~(31u << 16)) | (imm5 & -imm5) << 16, pc);
	}
	if ((x & 0xffe08400) == 0x6e000400 && ((x >> 16) & 15)) {
		/* INS (element) reads imm4 above the element size only. */
		uint32_t imm5 = (x >> 16) & 31, low = imm5 & -imm5;
		return cs_read(g, x & ~((low - 1) << 11), pc);
	}
	if ((x & 0x1fe00000) == 0x0b200000 && ((x >> 10) & 7) > 4) {
		rp->ext_amount = (int)((x >> 10) & 7);
		return cs_read(g, (x & ~(7u << 10)) | (1u << 10), pc);
	}
	if ((x & 0x1f800000) == 0x12000000 && bitmask(x, &rp->mask)) {
		/* The same element size with one bit set. */
		unsigned imms = (x >> 10) & 63, len = (x >> 22) & 1 ? 6 : 0;
		if (!len)
			len = 31u - (unsigned)__builtin_clz(~imms & 63);
		imms &= ~((1u << len) - 1) & 63;
		rp->has_mask = true;
		return cs_read(g, (x & ~(63u << 10)) | imms << 10, pc);
	}
	return false;
}

static void repair_ops(inst *in, const repair *rp)
{
	for (int i = 0; i < in->n; i++) {
		oper *o = &in->a[i];
		for (int k = 0; k < rp->nregs && o->kind == K_REG; k++)
			if (o->reg == rp->from[k]) {
				o->reg = rp->to[k];
				break;
			}
		if (rp->ext_amount >= 0 && o->kind == K_REG && o->ext[0]) {
			o->amount = rp->ext_amount;
			o->has_amount = true;
		}
		if (rp->has_mask && o->kind == K_IMM && i == in->n - 1)
			o->imm = in->x >> 31 ? rp->mask : rp->mask & 0xffffffff;
	}
}

/* Sets in->op to the operation Go's decoder reads and fixes the operands
 * where its reading differs from capstone's; false where Go's decoder
 * knows no such instruction. */
static bool go_op(inst *in, const char *mn)
{
	uint32_t x = in->x;
	char *op = in->op;
	size_t k = 0;
	for (; mn[k] && k < sizeof(in->op) - 1; k++)
		op[k] = (char)toupper((unsigned char)mn[k]);
	op[k] = 0;
	/* MOVZ and MOVN: MOV where the ARM manual prefers it. */
	if ((x & 0x7f800000) == 0x52800000 || (x & 0x7f800000) == 0x12800000) {
		bool movz = (x & 0x7f800000) == 0x52800000, sf = x >> 31;
		uint32_t imm16 = (x >> 5) & 0xffff, hw = (x >> 21) & 3;
		bool mov = !(imm16 == 0 && hw != 0) && (movz || sf || imm16 != 0xffff);
		if (!sf && hw > 1)
			return false;
		if (mov) {
			uint64_t v = (uint64_t)imm16 << (16 * hw);
			if (!movz)
				v = ~v;
			if (!sf)
				v &= 0xffffffff;
			snprintf(op, sizeof(in->op), "MOV");
			in->n = 2;
			in->a[1].kind = K_IMM;
			in->a[1].imm = v;
			in->a[1].ext[0] = 0;
			in->a[1].amount = 0;
		} else {
			snprintf(op, sizeof(in->op), "%s", movz ? "MOVZ" : "MOVN");
		}
		return true;
	}
	/* ORR (immediate) from ZR: MOV where no MOVZ or MOVN makes it. */
	if ((x & 0x7f8003e0) == 0x320003e0) {
		uint32_t sf = x >> 31, nbit = (x >> 22) & 1, imms = (x >> 10) & 63,
			 immr = (x >> 16) & 63;
		if (!move_wide_preferred(sf, nbit, imms, immr) && in->n == 3) {
			snprintf(op, sizeof(in->op), "MOV");
			in->a[1] = in->a[2];
			in->n = 2;
		} else if (is(op, "MOV") && in->n == 2) {
			snprintf(op, sizeof(in->op), "ORR");
			in->a[2] = in->a[1];
			memset(&in->a[1], 0, sizeof(in->a[1]));
			in->a[1].kind = K_REG;
			in->a[1].rc = sf ? 'x' : 'w';
			in->a[1].reg = 31;
			in->a[1].index = -1;
			in->n = 3;
		}
		return true;
	}
	/* The rest of the system space is read from the bits (system_insn);
	 * a SYS that is no TLBI is nothing Go's decoder knows. */
	if (is(op, "SYS"))
		return false;
	if (is(op, "INS"))
		snprintf(op, sizeof(in->op), "MOV");
	/* A long shift left by 0 is Go's UXTL, SXTL. */
	if ((is(op, "USHLL") || is(op, "USHLL2") || is(op, "SSHLL") || is(op, "SSHLL2")) &&
	    in->n == 3 && in->a[2].kind == K_IMM && in->a[2].imm == 0) {
		char t[24];
		snprintf(t, sizeof(t), "%cXTL%s", op[0], op[5] == '2' ? "2" : "");
		snprintf(op, sizeof(in->op), "%s", t);
		in->n = 2;
	}
	/* BFI into ZR (BFC in later versions of the manual) is BFM to Go. */
	if ((is(op, "BFI") || is(op, "BFC")) && ((x >> 5) & 31) == 31) {
		snprintf(op, sizeof(in->op), "BFM");
		oper d = in->a[0];
		memset(&in->a[1], 0, 3 * sizeof(in->a[1]));
		in->a[1].kind = K_REG;
		in->a[1].rc = d.rc;
		in->a[1].reg = 31;
		in->a[2].kind = in->a[3].kind = K_IMM;
		in->a[2].imm = (x >> 16) & 63;
		in->a[3].imm = (x >> 10) & 63;
		in->n = 4;
		return true;
	}
	if (!strncmp(op, "B.", 2)) {
		/* B.cond: its condition first, as the ARM manual names it. */
		static const char *const names[16] = {"EQ", "NE", "CS", "CC", "MI", "PL",
						      "VS", "VC", "HI", "LS", "GE", "LT",
						      "GT", "LE", "AL", "AL"};
		in->a[1] = in->a[0];
		memset(&in->a[0], 0, sizeof(in->a[0]));
		in->a[0].kind = K_NAME;
		snprintf(in->a[0].name, sizeof(in->a[0].name), "%s", names[x & 15]);
		in->n = 2;
		snprintf(op, sizeof(in->op), "B");
	}
	return hearth_goasm_in_set(known_ops, op);
}

/* The PC-relative operand's distance in bytes, from the bits. */
static bool pc_offset(uint32_t x, int64_t *off, int *at)
{
	if ((x & 0x7c000000) == 0x14000000) { /* B, BL */
		*off = sext((uint64_t)(x & 0x3ffffff) << 2, 28);
		*at = 0;
		return true;
	}
	if ((x & 0xff000010) == 0x54000000) { /* B.cond */
		*off = sext((uint64_t)((x >> 5) & 0x7ffff) << 2, 21);
		*at = 1;
		return true;
	}
	if ((x & 0x7e000000) == 0x34000000) { /* CBZ, CBNZ */
		*off = sext((uint64_t)((x >> 5) & 0x7ffff) << 2, 21);
		*at = 1;
		return true;
	}
	if ((x & 0x7e000000) == 0x36000000) { /* TBZ, TBNZ */
		*off = sext((uint64_t)((x >> 5) & 0x3fff) << 2, 16);
		*at = 2;
		return true;
	}
	if ((x & 0x1f000000) == 0x10000000) { /* ADR, ADRP */
		uint64_t v = ((uint64_t)((x >> 5) & 0x7ffff) << 2) | ((x >> 29) & 3);
		*off = x >> 31 ? sext(v << 12, 33) : sext(v, 21);
		*at = 1;
		return true;
	}
	if ((x & 0x3b000000) == 0x18000000) { /* LDR (literal), LDRSW, PRFM */
		*off = sext((uint64_t)((x >> 5) & 0x7ffff) << 2, 21);
		*at = 1;
		return true;
	}
	return false;
}

static uint32_t decode_format(hearth_goasm *g, inst *in, const uint8_t *code, size_t len,
			      uint64_t pc, hearth_buf *out)
{
	if (len < 4)
		return 0;
	uint32_t x = (uint32_t)code[0] | (uint32_t)code[1] << 8 | (uint32_t)code[2] << 16 |
		     (uint32_t)code[3] << 24;
	int sys = system_insn(x, out);
	if (sys >= 0)
		return sys ? 4 : 0;
	memset(in, 0, sizeof(*in));
	for (int i = 0; i < MAXOPS; i++)
		in->s[i] = in->store[i];
	in->g = g;
	in->pc = pc;
	in->x = x;
	repair rp;
	if (!read_insn(g, x, pc, &rp) || !parse_ops(g->insn->op_str, in))
		return 0;
	repair_ops(in, &rp);
	if (!go_op(in, g->insn->mnemonic))
		return 0;
	char *op = in->op;
	for (int i = 0; i < in->n; i++)
		arg_text(in, i);
	/* Operands whose text comes from the bits. */
	int64_t off = 0;
	int pat = 0;
	if (pc_offset(x, &off, &pat) && pat < in->n) {
		if (is(op, "ADR") || is(op, "ADRP"))
			snprintf(in->s[pat], ARGLEN, "%lld(PC)", (long long)off);
		else
			pcrel(in, pat, off, "");
	}
	/* Loads and stores with a register offset. */
	if ((x & 0x3b200c00) == 0x38200800) {
		int size = (int)(x >> 30);
		if ((x >> 26) & 1 && (x >> 23) & 1 && size == 0)
			size = 4;
		for (int i = 0; i < in->n; i++)
			if (in->a[i].kind == K_MEM)
				mem_ext_text(in->s[i], ARGLEN, x, size);
	}
	const oper *a0 = &in->a[0];
	char *s0 = in->s[0];
	/* The addressing mode as a suffix. */
	const char *suffix = "";
	int memi = -1;
	for (int i = 0; i < in->n; i++)
		if (in->a[i].kind == K_MEM)
			memi = i;
	if (memi >= 0 && (in->a[memi].mode == M_PRE || in->a[memi].mode == M_POST ||
			  in->a[memi].mode == M_POSTREG)) {
		static const char *const ls[] = {"LDR", "LDRB", "LDRH", "LDRSB", "LDRSH", "LDRSW",
						 "STR", "STRB", "STRH", "STUR",	 "STURB", "STURH",
						 "LD1", "ST1",	"STP",	"LDP",	 NULL};
		bool listed = false;
		for (int i = 0; ls[i]; i++)
			listed |= is(op, ls[i]);
		bool pair = is(op, "STP") || is(op, "LDP");
		if (listed && !(pair && in->a[memi].mode == M_POSTREG))
			suffix = in->a[memi].mode == M_PRE ? ".W" : ".P";
	}
	char fop[40];
	snprintf(fop, sizeof(fop), "%s", op);
	if ((is(op, "LDR") || is(op, "LDRSW")) && memi < 0 && in->n == 2) {
		/* A PC-relative load of a symbol's start: $sym(SB). */
		if (a0->kind == K_REG)
			pcrel(in, 1, off, "$");
	}
	char sc = a0->rc;
	bool fp0 = is_fpreg(a0);
	if (is(op, "BL")) {
		hearth_buf_printf(out, "CALL %s", in->s[0]);
		return 4;
	}
	if (is(op, "BLR")) {
		hearth_buf_printf(out, "CALL (R%d)", a0->reg);
		return 4;
	}
	if (is(op, "RET") && (in->n == 0 || a0->reg == 30)) {
		hearth_buf_puts(out, "RET");
		return 4;
	}
	if (is(op, "B")) {
		if (in->n == 2)
			hearth_buf_printf(out, "B%s %s", in->a[0].name, in->s[1]);
		else
			hearth_buf_printf(out, "JMP %s", in->s[0]);
		return 4;
	}
	if (is(op, "BR")) {
		hearth_buf_printf(out, "JMP (R%d)", a0->reg);
		return 4;
	}
	if (is(op, "MOV")) {
		if (a0->kind == K_VREG ||
		    (in->n > 1 && in->a[1].kind == K_VREG && in->a[1].index >= 0))
			snprintf(fop, sizeof(fop), "VMOV");
		else if (a0->kind == K_REG && a0->rc == 'w')
			snprintf(fop, sizeof(fop), "MOVW");
		else if (a0->kind == K_REG && a0->rc == 'x')
			snprintf(fop, sizeof(fop), "MOVD");
		if (in->n > 1 && in->a[1].kind == K_IMM && a0->rc == 'w')
			snprintf(in->s[1], ARGLEN, "$%u", (uint32_t)in->a[1].imm);
	} else if (is(op, "LDR") || is(op, "LDUR") || is(op, "STR") || is(op, "STUR")) {
		bool st = op[0] == 'S';
		if (sc == 'w')
			snprintf(fop, sizeof(fop), "MOVW%s%s", st ? "" : "U", suffix);
		else if (fp0) {
			snprintf(fop, sizeof(fop), "FMOV%c%s", toupper((unsigned char)sc), suffix);
			snprintf(s0, ARGLEN, "F%d", a0->reg);
		} else
			snprintf(fop, sizeof(fop), "MOVD%s", suffix);
		if (st)
			swap(in, 0, 1);
	} else if (is(op, "LDRB")) {
		snprintf(fop, sizeof(fop), "MOVBU%s", suffix);
	} else if (is(op, "LDRH")) {
		snprintf(fop, sizeof(fop), "MOVHU%s", suffix);
	} else if (is(op, "LDRSW")) {
		snprintf(fop, sizeof(fop), "MOVW%s", suffix);
	} else if (is(op, "LDRSB") || is(op, "LDRSH")) {
		snprintf(fop, sizeof(fop), "MOV%c%s%s", op[4], sc == 'w' ? "W" : "", suffix);
	} else if (is(op, "STRB") || is(op, "STURB") || is(op, "STRH") || is(op, "STURH")) {
		snprintf(fop, sizeof(fop), "MOV%c%s", op[strlen(op) - 1], suffix);
		swap(in, 0, 1);
	} else if (is(op, "TBNZ") || is(op, "TBZ")) {
		char *t = in->s[2];
		in->s[2] = in->s[1];
		in->s[1] = in->s[0];
		in->s[0] = t;
	} else if (is(op, "MADD") || is(op, "MSUB") || is(op, "SMADDL") || is(op, "SMSUBL") ||
		   is(op, "UMADDL") || is(op, "UMSUBL")) {
		if (sc == 'w')
			strcat(fop, "W");
		swap(in, 2, 3);
	} else if (is(op, "STLR")) {
		if (sc == 'w')
			strcat(fop, "W");
		swap(in, 0, 1);
	} else if (is(op, "STLRB") || is(op, "STLRH")) {
		swap(in, 0, 1);
	} else if (is(op, "STLXR") || is(op, "STXR")) {
		if (is_wreg(&in->a[1]))
			strcat(fop, "W");
		swap(in, 1, 2);
	} else if (is(op, "STLXRB") || is(op, "STLXRH") || is(op, "STXRB") || is(op, "STXRH")) {
		swap(in, 1, 2);
	} else if (is(op, "BFI") || is(op, "BFXIL") || is(op, "SBFIZ") || is(op, "SBFX") ||
		   is(op, "UBFIZ") || is(op, "UBFX")) {
		if (sc == 'w')
			strcat(fop, "W");
		char *t = in->s[3];
		in->s[3] = in->s[2];
		in->s[2] = in->s[1];
		in->s[1] = t;
	} else if (is(op, "LDAXP") || is(op, "LDXP")) {
		if (sc == 'w')
			strcat(fop, "W");
		hearth_buf_printf(out, "%s %s, (%s, %s)", fop, in->s[2], in->s[0], in->s[1]);
		return 4;
	} else if (is(op, "STP") || is(op, "LDP")) {
		if (sc == 'w')
			strcat(fop, "W");
		else if (fp0 && sc != 'x')
			snprintf(fop, sizeof(fop), "F%s%c", op, toupper((unsigned char)sc));
		strcat(fop, suffix);
		if (op[0] == 'S')
			hearth_buf_printf(out, "%s (%s, %s), %s", fop, in->s[0], in->s[1],
					  in->s[2]);
		else
			hearth_buf_printf(out, "%s %s, (%s, %s)", fop, in->s[2], in->s[0],
					  in->s[1]);
		return 4;
	} else if (is(op, "STLXP") || is(op, "STXP")) {
		if (is_wreg(&in->a[1]))
			strcat(fop, "W");
		hearth_buf_printf(out, "%s (%s, %s), %s, %s", fop, in->s[1], in->s[2], in->s[3],
				  in->s[0]);
		return 4;
	} else if (is(op, "FCCMP") || is(op, "FCCMPE") || is(op, "FCMP") || is(op, "FCMPE") ||
		   is(op, "FADD") || is(op, "FSUB") || is(op, "FMUL") || is(op, "FNMUL") ||
		   is(op, "FDIV") || is(op, "FMAX") || is(op, "FMIN") || is(op, "FMAXNM") ||
		   is(op, "FMINNM") || is(op, "FCSEL") || is(op, "FMADD") || is(op, "FMSUB") ||
		   is(op, "FNMADD") || is(op, "FNMSUB")) {
		if (is(op, "FCCMP") || is(op, "FCCMPE"))
			swap(in, 0, 1);
		if (!strncmp(op, "FCMP", 4) || !strncmp(op, "FCCMP", 5)) {
			if (in->n > 1 && (in->a[1].kind == K_FIMM || in->a[1].kind == K_IMM))
				snprintf(in->s[1], ARGLEN, "$(0.0)");
		}
		size_t l = strlen(op);
		if (l >= 4 && (!strcmp(op + l - 4, "MADD") || !strcmp(op + l - 4, "MSUB")))
			swap(in, 2, 3);
		if (a0->kind == K_REG && (sc == 's' || sc == 'd'))
			strcat(fop, sc == 's' ? "S" : "D");
	} else if (is(op, "FCVT")) {
		for (int i = 1; i >= 0; i--) {
			const oper *o = &in->a[i];
			if (o->kind == K_REG && strchr("hsd", o->rc)) {
				char c[2] = {(char)toupper((unsigned char)o->rc), 0};
				strcat(fop, c);
			}
		}
	} else if (is(op, "FABS") || is(op, "FNEG") || is(op, "FSQRT") ||
		   !strncmp(op, "FRINT", 5)) {
		const oper *o = &in->a[1];
		if (o->kind == K_REG && (o->rc == 's' || o->rc == 'd') &&
		    (is(op, "FABS") || is(op, "FNEG") || is(op, "FSQRT") ||
		     strchr("NPMZAXI", op[5])))
			strcat(fop, o->rc == 's' ? "S" : "D");
	} else if (is(op, "FCVTZS") || is(op, "FCVTZU") || is(op, "SCVTF") || is(op, "UCVTF")) {
		if (!(in->n > 2 && in->a[2].kind == K_IMM)) {
			for (int i = 1; i >= 0; i--) {
				const oper *o = &in->a[i];
				if (o->kind != K_REG)
					continue;
				if (o->rc == 's')
					strcat(fop, "S");
				else if (o->rc == 'd')
					strcat(fop, "D");
				else if (o->rc == 'w')
					strcat(fop, "W");
			}
		}
	} else if (is(op, "FMOV")) {
		for (int i = 0; i <= 1 && i < in->n; i++) {
			const oper *o = &in->a[i];
			if (o->kind == K_REG && (o->rc == 's' || o->rc == 'd')) {
				strcat(fop, o->rc == 's' ? "S" : "D");
				break;
			}
		}
	} else if (is(op, "CBNZ") || is(op, "CBZ")) {
		if (sc == 'w')
			strcat(fop, "W");
		swap(in, 0, 1);
	} else if (is(op, "TLBI")) {
		hearth_buf_printf(out, "%s %s", fop, s0);
		if (in->n > 1)
			hearth_buf_printf(out, ", %s", in->s[1]);
		return 4;
	} else if (is(op, "ADR") || is(op, "ADRP")) {
		/* as they are */
	} else if (is(op, "ST1")) {
		snprintf(fop, sizeof(fop), "VST1%s", suffix);
		swap(in, 0, 1);
	} else if (is(op, "LD1")) {
		snprintf(fop, sizeof(fop), "VLD1%s", suffix);
	} else if (is(op, "UMOV")) {
		snprintf(fop, sizeof(fop), "VMOV");
	} else if (is(op, "NOP")) {
		snprintf(fop, sizeof(fop), "NOOP");
	} else if (!hearth_goasm_in_set(no_suffix_ops, op)) {
		if (a0->kind == K_VREG && a0->index < 0)
			snprintf(fop, sizeof(fop), "V%s", op);
		if (fp0 && op[0] != 'F')
			snprintf(fop, sizeof(fop), "V%s", op);
		if (sc == 'w' && a0->kind == K_REG)
			strcat(fop, "W");
		strcat(fop, suffix);
	}
	/* Conditional instructions. */
	if (in->n > 3 && in->a[3].kind == K_COND) {
		if (in->a[2].kind == K_REG)
			swap(in, 1, 2);
		else
			swap(in, 0, 2);
	}
	/* The operands last to first. */
	hearth_buf_puts(out, fop);
	for (int i = in->n - 1; i >= 0; i--)
		hearth_buf_printf(out, "%s%s", i == in->n - 1 ? " " : ", ", in->s[i]);
	return 4;
}

uint32_t hearth_goasm_arm64(hearth_goasm *g, const uint8_t *code, size_t len, uint64_t pc,
			    hearth_buf *out)
{
	inst in;
	in.dyn = NULL;
	uint32_t n = decode_format(g, &in, code, len, pc, out);
	free(in.dyn);
	return n;
}
