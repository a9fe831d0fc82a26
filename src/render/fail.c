/* Failure reasons of the renderer: stable codes and messages in English and
 * French, plus the option defaults. */
#include "render.h"

#include <string.h>

struct fail_text {
	const char *code;
	const char *en;
	const char *fr;
};

static const struct fail_text fail_texts[RENDER_E_COUNT_] = {
	[RENDER_OK] = {"ok", "The document was rendered.", "Le document a été converti."},
	[RENDER_E_USAGE] = {"usage", "The request is invalid.", "La demande est invalide."},
	[RENDER_E_IO] = {"io", "A file could not be read or written.",
		"Un fichier n'a pas pu être lu ou écrit."},
	[RENDER_E_UNSUPPORTED] = {"unsupported_type",
		"This file type cannot be faxed: send a PDF, TIFF, PNG, JPEG or plain text file.",
		"Ce type de fichier ne peut pas être faxé : envoyez un PDF, un TIFF, un PNG, un JPEG ou un texte brut."},
	[RENDER_E_CORRUPT] = {"corrupt", "The document is damaged and cannot be read.",
		"Le document est endommagé et ne peut pas être lu."},
	[RENDER_E_ENCRYPTED] = {"encrypted",
		"The PDF is protected by a password: remove the protection and send it again.",
		"Le PDF est protégé par un mot de passe : retirez la protection et renvoyez-le."},
	[RENDER_E_EMPTY] = {"empty", "The document has no pages.", "Le document n'a aucune page."},
	[RENDER_E_TOO_MANY_PAGES] = {"too_many_pages",
		"The document has more pages than a fax may carry.",
		"Le document a plus de pages qu'un fax ne peut en contenir."},
	[RENDER_E_TOO_LARGE] = {"too_large", "The document is too large to be faxed.",
		"Le document est trop volumineux pour être faxé."},
	[RENDER_E_MEMORY] = {"memory_limit",
		"The document needs more memory than the renderer allows.",
		"Le document demande plus de mémoire que le convertisseur n'en autorise."},
	[RENDER_E_CPU] = {"cpu_limit", "The document takes too much computing time to render.",
		"Le document demande trop de temps de calcul pour être converti."},
	[RENDER_E_TIMEOUT] = {"timeout", "Rendering the document took too long and was stopped.",
		"La conversion du document a pris trop de temps et a été arrêtée."},
	[RENDER_E_PAGE_RANGE] = {"page_range", "There is no such page in the document.",
		"Cette page n'existe pas dans le document."},
	[RENDER_E_CRASH] = {"renderer_crash",
		"The document made the renderer fail; it is probably damaged or malicious.",
		"Le document a fait échouer le convertisseur ; il est sans doute endommagé ou malveillant."},
	[RENDER_E_INTERNAL] = {"internal", "The renderer failed for an internal reason.",
		"Le convertisseur a échoué pour une raison interne."},
	[RENDER_E_TEXT_ENCODING] = {"text_encoding",
		"The text is not in UTF-8 (nor clearly in Windows-1252 or Latin-1): save it as UTF-8 "
		"and send it again.",
		"Le texte n'est pas en UTF-8 (ni clairement en Windows-1252 ou Latin-1) : enregistrez-le "
		"en UTF-8 et renvoyez-le."},
};

const char *render_fail_code(enum render_fail f)
{
	if ((unsigned)f >= RENDER_E_COUNT_)
		return "internal";
	return fail_texts[f].code;
}

const char *render_fail_message(enum render_fail f, enum render_lang lang)
{
	if ((unsigned)f >= RENDER_E_COUNT_)
		f = RENDER_E_INTERNAL;
	return lang == RENDER_LANG_FR ? fail_texts[f].fr : fail_texts[f].en;
}

int render_lang_parse(const char *s, enum render_lang *out)
{
	if (s && strcmp(s, "en") == 0) {
		*out = RENDER_LANG_EN;
		return 0;
	}
	if (s && strcmp(s, "fr") == 0) {
		*out = RENDER_LANG_FR;
		return 0;
	}
	return -1;
}

void render_opts_init(struct render_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->coding = RENDER_CODING_MMR;
	o->lang = RENDER_LANG_EN;
	o->max_pages = RENDER_PAGES_DEFAULT;
	o->timeout_ms = 60000;
	o->cpu_seconds = 30;
	o->mem_bytes = (size_t)512 << 20;
	o->workers = 1;
}
