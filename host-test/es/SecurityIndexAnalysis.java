// The three analysis parts that Elasticsearch's `.security` index asks for
// (its `email` analyzer: tokenizer uax_url_email, filters pattern_capture,
// lowercase, unique). They live in the analysis-common module, which Maven
// Central does not serve, and without them the node cannot create the index
// that holds API keys. Two are Lucene's own classes (lucene-analysis-common is
// among the server jars); `unique` is written out here as the module has it:
// drop a term already seen in the stream. Loaded by the secured test node
// only (host-test/es/secured.mjs) as the module `security-index-analysis`.
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.TokenFilter;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.Tokenizer;
import org.apache.lucene.analysis.email.UAX29URLEmailTokenizer;
import org.apache.lucene.analysis.pattern.PatternCaptureGroupTokenFilter;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.elasticsearch.index.analysis.AbstractTokenFilterFactory;
import org.elasticsearch.index.analysis.AbstractTokenizerFactory;
import org.elasticsearch.index.analysis.TokenFilterFactory;
import org.elasticsearch.index.analysis.TokenizerFactory;
import org.elasticsearch.indices.analysis.AnalysisModule.AnalysisProvider;
import org.elasticsearch.plugins.AnalysisPlugin;
import org.elasticsearch.plugins.Plugin;

public final class SecurityIndexAnalysis extends Plugin implements AnalysisPlugin {
    @Override
    public Map<String, AnalysisProvider<TokenFilterFactory>> getTokenFilters() {
        return Map.of(
            "pattern_capture", AnalysisPlugin.requiresAnalysisSettings((indexSettings, env, name, settings) -> {
                List<String> regexes = settings.getAsList("patterns");
                Pattern[] patterns = regexes.stream().map(Pattern::compile).toArray(Pattern[]::new);
                boolean preserveOriginal = settings.getAsBoolean("preserve_original", true);
                return new AbstractTokenFilterFactory(name, settings) {
                    @Override
                    public TokenStream create(TokenStream input) {
                        return new PatternCaptureGroupTokenFilter(input, preserveOriginal, patterns);
                    }
                };
            }),
            "unique", (indexSettings, env, name, settings) -> new AbstractTokenFilterFactory(name, settings) {
                @Override
                public TokenStream create(TokenStream input) { return new Unique(input); }
            });
    }

    @Override
    public Map<String, AnalysisProvider<TokenizerFactory>> getTokenizers() {
        return Map.of("uax_url_email", (indexSettings, env, name, settings) -> new AbstractTokenizerFactory(indexSettings, settings, name) {
            @Override
            public Tokenizer create() { return new UAX29URLEmailTokenizer(); }
        });
    }

    /** Passes each distinct term once, in its first position. */
    static final class Unique extends TokenFilter {
        private final CharTermAttribute term = addAttribute(CharTermAttribute.class);
        private final CharArraySet seen = new CharArraySet(8, false);

        Unique(TokenStream input) { super(input); }

        @Override
        public boolean incrementToken() throws IOException {
            while (input.incrementToken()) {
                if (seen.contains(term.buffer(), 0, term.length())) continue;
                seen.add(new String(term.buffer(), 0, term.length()));
                return true;
            }
            return false;
        }

        @Override
        public void reset() throws IOException {
            super.reset();
            seen.clear();
        }
    }
}
