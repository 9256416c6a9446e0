package digest

import "github.com/tradedigest/tradedigest/internal/lazy"

// DefaultLanguage is the language editions and summaries are written in
// when none is configured (ISO 639-1).
const DefaultLanguage = "en"

// LanguageName returns the English name of an ISO 639-1 language code
// ("de" → "German"), or "" for an empty or unknown code.
func LanguageName(code string) string {
	return languageNames.Get()[code]
}

// languageNames covers the languages the gatherer can detect, and a few
// more that feeds and pages declare.
var languageNames = lazy.Value[map[string]string]{Build: func() map[string]string {
	return map[string]string{
		"af": "Afrikaans", "ak": "Akan", "am": "Amharic", "ar": "Arabic", "az": "Azerbaijani",
		"be": "Belarusian", "bg": "Bulgarian", "bh": "Bhojpuri", "bn": "Bengali", "bs": "Bosnian",
		"ca": "Catalan", "cs": "Czech", "cy": "Welsh", "da": "Danish", "de": "German", "el": "Greek",
		"en": "English", "eo": "Esperanto", "es": "Spanish", "et": "Estonian", "eu": "Basque",
		"fa": "Persian", "fi": "Finnish", "fr": "French", "ga": "Irish", "gl": "Galician",
		"gu": "Gujarati", "ha": "Hausa", "he": "Hebrew", "hi": "Hindi", "hr": "Croatian",
		"ht": "Haitian Creole", "hu": "Hungarian", "hy": "Armenian", "id": "Indonesian", "ig": "Igbo",
		"is": "Icelandic", "it": "Italian", "ja": "Japanese", "jv": "Javanese", "ka": "Georgian",
		"kk": "Kazakh", "km": "Khmer", "kn": "Kannada", "ko": "Korean", "ku": "Kurdish",
		"lb": "Luxembourgish", "lt": "Lithuanian", "lv": "Latvian", "mg": "Malagasy", "mk": "Macedonian",
		"ml": "Malayalam", "mn": "Mongolian", "mr": "Marathi", "ms": "Malay", "mt": "Maltese",
		"my": "Burmese", "nb": "Norwegian", "ne": "Nepali", "nl": "Dutch", "nn": "Norwegian",
		"no": "Norwegian", "ny": "Chewa", "om": "Oromo", "or": "Oriya", "pa": "Punjabi", "pl": "Polish",
		"ps": "Pashto", "pt": "Portuguese", "rn": "Rundi", "ro": "Romanian", "ru": "Russian",
		"rw": "Kinyarwanda", "si": "Sinhala", "sk": "Slovak", "sl": "Slovene", "sn": "Shona",
		"so": "Somali", "sq": "Albanian", "sr": "Serbian", "sv": "Swedish", "sw": "Swahili",
		"ta": "Tamil", "te": "Telugu", "th": "Thai", "ti": "Tigrinya", "tk": "Turkmen", "tl": "Tagalog",
		"tr": "Turkish", "ug": "Uyghur", "uk": "Ukrainian", "ur": "Urdu", "uz": "Uzbek",
		"vi": "Vietnamese", "yo": "Yoruba", "zh": "Chinese", "zu": "Zulu",
	}
}}
