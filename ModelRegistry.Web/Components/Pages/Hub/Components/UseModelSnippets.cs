using System.Text;
using System.Text.RegularExpressions;
using ModelRegistry.Core.Versions;

namespace ModelRegistry.Web.Components.Pages.Hub.Components;

/// <summary>A file of the version the snippets load.</summary>
public sealed record UseModelFile(string Path, string Sha256);

/// <summary>What the "Use this model" snippets are about: where the registry is, which model and version, and its files.</summary>
/// <param name="RegistryUrl">The registry's public address, e.g. <c>https://registry.example</c> (a trailing <c>/</c> is ignored).</param>
/// <param name="RepoNamespace">The namespace of Hub repo ids (<c>Registry:HubCompat:Namespace</c>).</param>
/// <param name="Number">The version the snippets load now (what <c>production</c> points at, on the model page).</param>
/// <param name="Commit">That version's commit (40 hex digits), or empty when it has no digest yet.</param>
/// <param name="Frozen">Whether that version is frozen: only then can its commit never change.</param>
public sealed record UseModelTarget(
    string RegistryUrl,
    string RepoNamespace,
    string Model,
    string? Task,
    int Number,
    string Commit,
    bool Frozen,
    WeightFormat Format,
    string? Quantization,
    IReadOnlyList<UseModelFile> Files)
{
    public string RepoId => $"{RepoNamespace}/{Model}";

    /// <summary>The address Hub clients take as <c>HF_ENDPOINT</c>.</summary>
    public string HubEndpoint => RegistryUrl.TrimEnd('/') + "/hf";
}

/// <summary>One tool's copy-ready snippet.</summary>
/// <param name="Id">Stable id: <c>transformers</c>, <c>vllm</c>, <c>tgi</c>, <c>llama-cpp</c>, <c>curl</c>, <c>mreg</c>.</param>
/// <param name="Language"><c>python</c> or <c>bash</c>.</param>
/// <param name="Notes">Plain sentences shown under the code.</param>
public sealed record Snippet(string Id, string Tool, string Summary, string Language, string Code, IReadOnlyList<string> Notes);

/// <summary>
/// Builds the "Use this model" snippets (transformers, vLLM, TGI, llama.cpp, curl, mreg) for one model and revision.
/// Pure: no I/O, so every form is unit-tested. Every value that reaches a snippet is quoted for the language it lands
/// in — shell words with <see cref="Sh"/>, Python strings with <see cref="Py"/>, URL segments percent-encoded — because
/// file paths and configured names are not ours to trust. No snippet ever holds a token: the shell expands
/// <c>$REGISTRY_TOKEN</c> (Hub clients get it with the <c>hf_</c> prefix that some of them insist on).
/// </summary>
public static partial class UseModelSnippets
{
    /// <summary>The environment variable every snippet reads the token from.</summary>
    public const string TokenVariable = "REGISTRY_TOKEN";

    private const string HubToken = "\"hf_$" + TokenVariable + "\"";
    // llama.cpp sends a token only when everything after hf_ is letters and digits; a registry token has '_' (and may
    // have '-'), so it gets the token's hexadecimal spelling, which the registry accepts too (docs/hub-compat.md).
    private const string HubTokenHex = "\"hf_$(printf %s \"$" + TokenVariable + "\" | od -An -vtx1 | tr -d ' \\n')\"";
    private const string BearerHeader = "-H \"Authorization: Bearer $" + TokenVariable + "\"";

    /// <summary>Tasks that name encoders; text-generation servers (TGI) do not serve them.</summary>
    private static readonly HashSet<string> EncoderTasks = new(StringComparer.OrdinalIgnoreCase)
    {
        "embeddings", "feature-extraction", "sentence-similarity", "classification", "text-classification", "token-classification",
    };

    /// <summary>The snippets for <paramref name="target"/> at <paramref name="revision"/>, in the order the panel shows them.</summary>
    public static IReadOnlyList<Snippet> Build(UseModelTarget target, SnippetRevision revision)
    {
        var gguf = GgufModelFiles(target.Files);
        var ggufOnly = target.Format == WeightFormat.Gguf;
        var snippets = new List<Snippet>();
        if (ggufOnly || gguf.Count > 0)
        {
            snippets.Add(LlamaCpp(target, revision, gguf));
        }

        snippets.Add(Transformers(target, revision, ggufOnly ? PreferredGguf(target, gguf) : null));
        if (!ggufOnly)
        {
            snippets.Add(Vllm(target, revision));
            if (target.Task is null || !EncoderTasks.Contains(target.Task))
            {
                snippets.Add(Tgi(target, revision));
            }
        }

        snippets.Add(Curl(target, revision, gguf));
        snippets.Add(Mreg(target, revision));
        return snippets;
    }

    private static Snippet Transformers(UseModelTarget target, SnippetRevision revision, UseModelFile? ggufFile)
    {
        var modelClass = TransformersClass(target.Task);
        var extra = ggufFile is null ? "" : ", gguf_file=gguf_file";
        var code = new StringBuilder()
            .AppendLine("import os")
            .AppendLine()
            .AppendLine("# Before importing transformers: huggingface_hub reads HF_ENDPOINT once, on import.")
            .AppendLine($"os.environ[\"HF_ENDPOINT\"] = {Py(target.HubEndpoint)}")
            .AppendLine($"os.environ[\"HF_TOKEN\"] = \"hf_\" + os.environ[\"{TokenVariable}\"]")
            .AppendLine()
            .AppendLine($"from transformers import {modelClass}, AutoTokenizer")
            .AppendLine()
            .AppendLine($"repo_id, revision = {Py(target.RepoId)}, {Py(revision.HubRef)}");
        if (ggufFile is not null)
        {
            code.AppendLine($"gguf_file = {Py(ggufFile.Path)}");
        }

        code.AppendLine($"tokenizer = AutoTokenizer.from_pretrained(repo_id, revision=revision{extra})")
            .Append($"model = {modelClass}.from_pretrained(repo_id, revision=revision{extra})");
        return new Snippet("transformers", "Transformers", "Load the weights in Python with Hugging Face Transformers.", "python",
            code.ToString(), ["Needs pip install transformers (and torch)."]);
    }

    /// <summary>The Auto class for the model's task; a model without a task is taken for a causal language model.</summary>
    private static string TransformersClass(string? task) => task?.ToLowerInvariant() switch
    {
        null or "" or "text-generation" or "chat" or "conversational" => "AutoModelForCausalLM",
        "classification" or "text-classification" => "AutoModelForSequenceClassification",
        "token-classification" => "AutoModelForTokenClassification",
        "summarization" or "translation" or "text2text-generation" => "AutoModelForSeq2SeqLM",
        _ => "AutoModel",
    };

    private static Snippet Vllm(UseModelTarget target, SnippetRevision revision)
    {
        var code = $"HF_ENDPOINT={Sh(target.HubEndpoint)} HF_TOKEN={HubToken} \\\n" +
                   $"  vllm serve {Sh(target.RepoId)} --revision {Sh(revision.HubRef)}";
        return new Snippet("vllm", "vLLM", "Serve an OpenAI-compatible API with vLLM.", "bash", code,
            [$"It answers on port 8000 under the model name {target.RepoId}; the tokenizer comes from the same revision."]);
    }

    private static Snippet Tgi(UseModelTarget target, SnippetRevision revision)
    {
        var code = "docker run --gpus all --shm-size 1g -p 8080:80 -v \"$PWD/tgi-data:/data\" \\\n" +
                   $"  -e HF_ENDPOINT={Sh(target.HubEndpoint)} \\\n" +
                   $"  -e HF_TOKEN={HubToken} \\\n" +
                   "  ghcr.io/huggingface/text-generation-inference:latest \\\n" +
                   $"  --model-id {Sh(target.RepoId)} --revision {Sh(revision.HubRef)}";
        List<string> notes = ["Without Docker: text-generation-launcher takes the same --model-id and --revision, with the same two variables set."];
        if (IsLoopback(target.RegistryUrl))
        {
            notes.Insert(0, "Inside a container, localhost is the container itself: use an address of the registry that the container can reach.");
        }

        return new Snippet("tgi", "TGI", "Serve it with Text Generation Inference in Docker.", "bash", code, notes);
    }

    private static Snippet LlamaCpp(UseModelTarget target, SnippetRevision revision, IReadOnlyList<UseModelFile> gguf)
    {
        var file = PreferredGguf(target, gguf);
        string source, environment;
        var notes = new List<string>();
        if (revision.Kind == RevisionKind.Production || file is null)
        {
            // -hf reads the repo's main branch, which the registry answers with the Production version.
            var tag = file is null ? "" : QuantTag(file.Path);
            source = $"-hf {Sh(target.RepoId + (tag.Length > 0 ? ":" + tag : ""))}";
            environment = $"export HF_ENDPOINT={Sh(target.HubEndpoint)} HF_TOKEN={HubTokenHex}";
            if (revision.Kind != RevisionKind.Production)
            {
                notes.Add("llama.cpp's -hf always loads the main revision, which is the Production version here.");
            }
        }
        else
        {
            source = $"-mu {Sh(ResolveUrl(target, revision, file.Path))}";
            environment = $"export HF_TOKEN={HubTokenHex}";
            notes.Add("llama.cpp's -hf always loads the main revision (Production here), so another revision is loaded by its file's address.");
        }

        var code = $"{environment}\n\n" +
                   "# Chat in the terminal\n" +
                   $"llama-cli {source}\n\n" +
                   "# Or serve an OpenAI-compatible API on port 8080\n" +
                   $"llama-server {source}";
        return new Snippet("llama-cpp", "llama.cpp", "Run the GGUF weights locally with llama.cpp.", "bash", code, notes);
    }

    private static Snippet Curl(UseModelTarget target, SnippetRevision revision, IReadOnlyList<UseModelFile> gguf)
    {
        var files = $"{target.RegistryUrl.TrimEnd('/')}/api/v1/models/{Uri.EscapeDataString(target.Model)}/versions/{Uri.EscapeDataString(revision.ApiRef)}/files";
        var code = new StringBuilder()
            .AppendLine("# The files of this revision: path, size and SHA-256 of each")
            .AppendLine($"curl -fsS {BearerHeader} \\")
            .Append($"  {Sh(files)}");
        var file = target.Format == WeightFormat.Gguf ? PreferredGguf(target, gguf) : null;
        file ??= target.Files.FirstOrDefault(f => f.Path == "config.json") ?? target.Files.OrderBy(f => f.Path, StringComparer.Ordinal).FirstOrDefault();
        if (file is not null)
        {
            code.AppendLine().AppendLine()
                .AppendLine("# Download one, then check it against the SHA-256 the registry recorded")
                .AppendLine($"curl -fL --create-dirs -o {Sh(file.Path)} {BearerHeader} \\")
                .AppendLine($"  {Sh(files + "/" + EscapePath(file.Path))}")
                .Append($"echo {Sh($"{file.Sha256}  {file.Path}")} | sha256sum -c -");
        }

        return new Snippet("curl", "curl", "Download files over the REST API.", "bash", code.ToString(),
            [$"Every read route also takes a commit or an alias; the whole API is described at {target.RegistryUrl.TrimEnd('/')}/reference."]);
    }

    private static Snippet Mreg(UseModelTarget target, SnippetRevision revision)
    {
        var code = "# Once per machine\n" +
                   $"mreg login --url {Sh(target.RegistryUrl.TrimEnd('/'))} --token \"${TokenVariable}\"\n\n" +
                   $"mreg pull {Sh($"{target.Model}@{revision.ApiRef}")} {Sh($"./{target.Model}")}";
        return new Snippet("mreg", "mreg", "Pull every file into a folder with the registry's command line.", "bash", code,
            ["Parallel and resumable; every file is checked against its SHA-256 and the version's digest is printed at the end."]);
    }

    /// <summary>The <c>/hf</c> address of one file at one revision.</summary>
    private static string ResolveUrl(UseModelTarget target, SnippetRevision revision, string path) =>
        $"{target.HubEndpoint}/{Uri.EscapeDataString(target.RepoNamespace)}/{Uri.EscapeDataString(target.Model)}/resolve/{Uri.EscapeDataString(revision.HubRef)}/{EscapePath(path)}";

    private static string EscapePath(string path) => string.Join('/', path.Split('/').Select(Uri.EscapeDataString));

    /// <summary>Files llama.cpp never loads as the model itself (its <c>gguf_filename_is_model</c>).</summary>
    private static readonly string[] NotModelMarkers = ["mmproj", "imatrix", "mtp-", "eagle3-", "dflash-", "dspark-"];

    /// <summary>The GGUF files llama.cpp would load as a model: not projectors, importance matrices or draft heads, and only the first part of a split.</summary>
    internal static IReadOnlyList<UseModelFile> GgufModelFiles(IReadOnlyList<UseModelFile> files) => files
        .Where(f => f.Path.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase))
        .Where(f => !NotModelMarkers.Any(marker => FileName(f.Path).Contains(marker, StringComparison.Ordinal)))
        .Where(f => SplitPart().Match(f.Path) is not { Success: true } m || m.Groups[1].Value == "00001")
        .OrderBy(f => f.Path, StringComparer.Ordinal)
        .ToList();

    /// <summary>The GGUF file whose quantisation tag is the version's quantization, else the first.</summary>
    private static UseModelFile? PreferredGguf(UseModelTarget target, IReadOnlyList<UseModelFile> gguf) =>
        gguf.FirstOrDefault(f => target.Quantization is { Length: > 0 } q && string.Equals(QuantTag(f.Path), q, StringComparison.OrdinalIgnoreCase))
        ?? gguf.FirstOrDefault();

    /// <summary>
    /// The quantisation tag llama.cpp reads from a GGUF file name (<c>model-Q4_K_M.gguf</c> → <c>Q4_K_M</c>; a split's
    /// <c>-00001-of-00003</c> is ignored), or empty when the name has none. The same rule as llama.cpp's
    /// <c>get_gguf_split_info</c>, so <c>-hf repo:TAG</c> picks this file.
    /// </summary>
    internal static string QuantTag(string path)
    {
        var stem = FileName(path);
        stem = stem[..^".gguf".Length];
        stem = SplitSuffix().Replace(stem, "");
        var match = TagSuffix().Match(stem);
        return match.Success ? match.Groups[1].Value.ToUpperInvariant() : "";
    }

    private static string FileName(string path) => path[(path.LastIndexOf('/') + 1)..];

    private static bool IsLoopback(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.IsLoopback || uri.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// One shell word (POSIX sh, bash, zsh) that means exactly <paramref name="value"/>: left bare when it holds only
    /// characters no shell treats specially, otherwise in single quotes, inside which nothing is special (a single
    /// quote itself is closed, escaped and reopened).
    /// </summary>
    public static string Sh(string value) =>
        value.Length > 0 && value.All(c => char.IsAsciiLetterOrDigit(c) || "@%+=:,./_-".Contains(c))
            ? value
            : "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>A Python string literal that means exactly <paramref name="value"/>.</summary>
    public static string Py(string value)
    {
        var literal = new StringBuilder("\"");
        foreach (var c in value)
        {
            literal.Append(c switch
            {
                '\\' => @"\\",
                '"' => "\\\"",
                '\n' => @"\n",
                '\r' => @"\r",
                '\t' => @"\t",
                _ when char.IsControl(c) || c is '\u2028' or '\u2029' => $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        }

        return literal.Append('"').ToString();
    }

    [GeneratedRegex(@"-(\d{5})-of-\d{5}\.gguf$", RegexOptions.IgnoreCase)]
    private static partial Regex SplitPart();

    [GeneratedRegex(@"-\d{5}-of-\d{5}$", RegexOptions.IgnoreCase)]
    private static partial Regex SplitSuffix();

    [GeneratedRegex(@"[-.]([A-Z0-9_]+)$", RegexOptions.IgnoreCase)]
    private static partial Regex TagSuffix();
}
