using System.Diagnostics;
using ModelRegistry.Core.Versions;
using ModelRegistry.Web.Components.Pages.Hub.Components;

namespace ModelRegistry.Tests.Components;

/// <summary>
/// The "Use this model" snippets: what each tool is told, at each revision form, and that hostile names reach the tool
/// as exactly themselves — checked by running the snippets in a real bash and a real Python with the tools replaced by
/// functions that print the arguments they were given.
/// </summary>
public sealed class UseModelSnippetsTests
{
    private const string Commit = "0123456789abcdef0123456789abcdef01234567";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static UseModelTarget Safetensors(string model = "support-bot", string url = "https://registry.example/", string ns = "registry",
        string? task = "text-generation", params UseModelFile[] files) =>
        new(url, ns, model, task, 3, Commit, Frozen: true, WeightFormat.Safetensors, "bf16",
            files.Length > 0 ? files : [new("config.json", new string('a', 64)), new("model.safetensors", new string('b', 64))]);

    private static UseModelTarget Gguf(string? quantization = "Q4_K_M", params UseModelFile[] files) =>
        new("https://registry.example", "registry", "coder", "text-generation", 3, Commit, Frozen: true, WeightFormat.Gguf, quantization,
            files.Length > 0 ? files : [new("coder-Q8_0.gguf", new string('c', 64)), new("coder-Q4_K_M.gguf", new string('d', 64))]);

    private static Snippet Get(IReadOnlyList<Snippet> snippets, string id) => Assert.Single(snippets, s => s.Id == id);

    private static string Code(UseModelTarget target, SnippetRevision revision, string id) => Get(UseModelSnippets.Build(target, revision), id).Code;

    [Fact]
    public void vLLM_serves_the_production_revision_through_the_registrys_hub_endpoint()
    {
        Assert.Equal(
            "HF_ENDPOINT=https://registry.example/hf HF_TOKEN=\"hf_$REGISTRY_TOKEN\" \\\n" +
            "  vllm serve registry/support-bot --revision production",
            Code(Safetensors(), SnippetRevision.Production, "vllm"));
    }

    [Fact]
    public void Transformers_sets_the_endpoint_and_token_before_importing_and_loads_the_revision()
    {
        Assert.Equal(
            """
            import os

            # Before importing transformers: huggingface_hub reads HF_ENDPOINT once, on import.
            os.environ["HF_ENDPOINT"] = "https://registry.example/hf"
            os.environ["HF_TOKEN"] = "hf_" + os.environ["REGISTRY_TOKEN"]

            from transformers import AutoModelForCausalLM, AutoTokenizer

            repo_id, revision = "registry/support-bot", "v3"
            tokenizer = AutoTokenizer.from_pretrained(repo_id, revision=revision)
            model = AutoModelForCausalLM.from_pretrained(repo_id, revision=revision)
            """.ReplaceLineEndings("\n"),
            Code(Safetensors(), SnippetRevision.OfVersion(3), "transformers"));
    }

    [Fact]
    public void Transformers_picks_the_auto_class_for_the_task()
    {
        Assert.Contains("AutoModelForSequenceClassification.from_pretrained", Code(Safetensors(task: "classification"), SnippetRevision.Production, "transformers"));
        Assert.Contains("model = AutoModel.from_pretrained", Code(Safetensors(task: "embeddings"), SnippetRevision.Production, "transformers"));
        Assert.Contains("AutoModelForCausalLM.from_pretrained", Code(Safetensors(task: null), SnippetRevision.Production, "transformers"));
    }

    [Fact]
    public void TGI_runs_in_docker_with_the_endpoint_the_token_the_repo_and_the_revision()
    {
        var code = Code(Safetensors(), SnippetRevision.OfVersion(3), "tgi");

        Assert.StartsWith("docker run --gpus all", code, StringComparison.Ordinal);
        Assert.Contains("-e HF_ENDPOINT=https://registry.example/hf \\\n", code, StringComparison.Ordinal);
        Assert.Contains("-e HF_TOKEN=\"hf_$REGISTRY_TOKEN\" \\\n", code, StringComparison.Ordinal);
        Assert.EndsWith("--model-id registry/support-bot --revision v3", code, StringComparison.Ordinal);
    }

    [Fact]
    public void TGI_warns_that_localhost_inside_a_container_is_not_the_registry()
    {
        var local = Get(UseModelSnippets.Build(Safetensors(url: "http://localhost:5080/"), SnippetRevision.Production), "tgi");
        var remote = Get(UseModelSnippets.Build(Safetensors(), SnippetRevision.Production), "tgi");

        Assert.Contains(local.Notes, n => n.Contains("localhost is the container itself", StringComparison.Ordinal));
        Assert.DoesNotContain(remote.Notes, n => n.Contains("localhost", StringComparison.Ordinal));
    }

    [Fact]
    public void Encoders_get_no_TGI_snippet_and_safetensors_models_no_llama_cpp_snippet()
    {
        Assert.Equal(["transformers", "vllm", "tgi", "curl", "mreg"], UseModelSnippets.Build(Safetensors(), SnippetRevision.Production).Select(s => s.Id));
        Assert.Equal(["transformers", "vllm", "curl", "mreg"],
            UseModelSnippets.Build(Safetensors(task: "embeddings"), SnippetRevision.Production).Select(s => s.Id));
    }

    [Fact]
    public void A_GGUF_version_gets_llama_cpp_first_and_no_vLLM_or_TGI()
    {
        Assert.Equal(["llama-cpp", "transformers", "curl", "mreg"], UseModelSnippets.Build(Gguf(), SnippetRevision.Production).Select(s => s.Id));
    }

    [Fact]
    public void llama_cpp_loads_production_with_hf_and_the_quantisation_tag_of_the_versions_quantization()
    {
        Assert.Equal(
            """
            export HF_ENDPOINT=https://registry.example/hf HF_TOKEN="hf_$(printf %s "$REGISTRY_TOKEN" | od -An -vtx1 | tr -d ' \n')"

            # Chat in the terminal
            llama-cli -hf registry/coder:Q4_K_M

            # Or serve an OpenAI-compatible API on port 8080
            llama-server -hf registry/coder:Q4_K_M
            """.ReplaceLineEndings("\n"),
            Code(Gguf(), SnippetRevision.Production, "llama-cpp"));
        Assert.EndsWith("-hf registry/coder:Q8_0", Code(Gguf(quantization: "Q8_0"), SnippetRevision.Production, "llama-cpp"));
    }

    [Fact]
    public void llama_cpp_loads_another_revision_by_the_files_resolve_address_because_hf_only_reads_main()
    {
        var snippet = Get(UseModelSnippets.Build(Gguf(), SnippetRevision.OfCommit(Commit)), "llama-cpp");

        Assert.StartsWith("export HF_TOKEN=\"hf_$(printf %s \"$REGISTRY_TOKEN\" | od -An -vtx1 | tr -d ' \\n')\"\n", snippet.Code, StringComparison.Ordinal);
        Assert.Contains($"\nllama-cli -mu https://registry.example/hf/registry/coder/resolve/{Commit}/coder-Q4_K_M.gguf\n", snippet.Code, StringComparison.Ordinal);
        Assert.EndsWith($"\nllama-server -mu https://registry.example/hf/registry/coder/resolve/{Commit}/coder-Q4_K_M.gguf", snippet.Code, StringComparison.Ordinal);
        Assert.Contains(snippet.Notes, n => n.Contains("main revision", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("qwen2.5-coder-7b-instruct-q4_k_m.gguf", "Q4_K_M")]
    [InlineData("dir/Model.Q5_K_S.gguf", "Q5_K_S")]
    [InlineData("big-Q8_0-00001-of-00003.gguf", "Q8_0")]
    [InlineData("model.gguf", "")]
    public void The_quantisation_tag_is_read_from_the_file_name_as_llama_cpp_reads_it(string path, string tag) =>
        Assert.Equal(tag, UseModelSnippets.QuantTag(path));

    [Fact]
    public void Projectors_importance_matrices_and_later_split_parts_are_not_model_files()
    {
        var files = UseModelSnippets.GgufModelFiles(
        [
            new("mmproj-model-f16.gguf", ""), new("imatrix.gguf", ""), new("big-Q8_0-00002-of-00003.gguf", ""),
            new("big-Q8_0-00001-of-00003.gguf", ""), new("README.md", ""),
        ]);

        Assert.Equal(["big-Q8_0-00001-of-00003.gguf"], files.Select(f => f.Path));
    }

    [Fact]
    public void A_GGUF_version_is_loaded_in_transformers_with_its_gguf_file()
    {
        var code = Code(Gguf(), SnippetRevision.Production, "transformers");

        Assert.Contains("gguf_file = \"coder-Q4_K_M.gguf\"\n", code, StringComparison.Ordinal);
        Assert.Contains("AutoModelForCausalLM.from_pretrained(repo_id, revision=revision, gguf_file=gguf_file)", code, StringComparison.Ordinal);
    }

    [Fact]
    public void Curl_lists_the_files_and_downloads_one_by_the_rest_api_reference_then_checks_its_sha256()
    {
        Assert.Equal(
            "# The files of this revision: path, size and SHA-256 of each\n" +
            "curl -fsS -H \"Authorization: Bearer $REGISTRY_TOKEN\" \\\n" +
            "  https://registry.example/api/v1/models/support-bot/versions/3/files\n" +
            "\n" +
            "# Download one, then check it against the SHA-256 the registry recorded\n" +
            "curl -fL --create-dirs -o config.json -H \"Authorization: Bearer $REGISTRY_TOKEN\" \\\n" +
            "  https://registry.example/api/v1/models/support-bot/versions/3/files/config.json\n" +
            $"echo '{new string('a', 64)}  config.json' | sha256sum -c -",
            Code(Safetensors(), SnippetRevision.OfVersion(3), "curl"));
    }

    [Fact]
    public void Mreg_logs_in_once_and_pulls_the_model_at_the_reference()
    {
        Assert.Equal(
            "# Once per machine\n" +
            "mreg login --url https://registry.example --token \"$REGISTRY_TOKEN\"\n\n" +
            "mreg pull support-bot@production ./support-bot",
            Code(Safetensors(), SnippetRevision.Production, "mreg"));
        Assert.EndsWith($"mreg pull support-bot@{Commit} ./support-bot", Code(Safetensors(), SnippetRevision.OfCommit(Commit), "mreg"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(RevisionKind.Production, "production", "production")]
    [InlineData(RevisionKind.Version, "v3", "3")]
    [InlineData(RevisionKind.Commit, Commit, Commit)]
    public void Every_snippet_names_the_revision_in_the_form_its_protocol_takes(RevisionKind kind, string hub, string api)
    {
        var revision = kind switch
        {
            RevisionKind.Production => SnippetRevision.Production,
            RevisionKind.Version => SnippetRevision.OfVersion(3),
            _ => SnippetRevision.OfCommit(Commit),
        };
        var snippets = UseModelSnippets.Build(Safetensors(), revision);

        Assert.Contains($"revision = \"registry/support-bot\", \"{hub}\"", Get(snippets, "transformers").Code, StringComparison.Ordinal);
        Assert.EndsWith($"--revision {hub}", Get(snippets, "vllm").Code, StringComparison.Ordinal);
        Assert.EndsWith($"--revision {hub}", Get(snippets, "tgi").Code, StringComparison.Ordinal);
        Assert.Contains($"/versions/{api}/files", Get(snippets, "curl").Code, StringComparison.Ordinal);
        Assert.Contains($"support-bot@{api} ", Get(snippets, "mreg").Code, StringComparison.Ordinal);
    }

    [Fact]
    public void A_commit_is_forty_lowercase_hex_digits()
    {
        Assert.Throws<ArgumentException>(() => SnippetRevision.OfCommit(Commit.ToUpperInvariant()));
        Assert.Throws<ArgumentException>(() => SnippetRevision.OfCommit(Commit[..12]));
        Assert.Throws<ArgumentException>(() => SnippetRevision.OfCommit("'; rm -rf ~; echo '" + Commit[..20]));
    }

    [Fact]
    public void No_snippet_holds_a_token_only_the_placeholder()
    {
        foreach (var snippet in UseModelSnippets.Build(Safetensors(), SnippetRevision.Production).Concat(UseModelSnippets.Build(Gguf(), SnippetRevision.Production)))
        {
            Assert.DoesNotContain("mr_", snippet.Code, StringComparison.Ordinal);
            Assert.Contains("REGISTRY_TOKEN", snippet.Code, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("plain")]
    [InlineData("it's")]
    [InlineData("a b")]
    [InlineData("$(touch /tmp/pwned)")]
    [InlineData("`id`")]
    [InlineData("'\"'\"'")]
    [InlineData("back\\slash;&|<>*?!#~")]
    [InlineData("")]
    [InlineData("-n")]
    public async Task Sh_makes_one_shell_word_that_means_exactly_the_value(string value)
    {
        var printed = await BashAsync($"printf '%s\\0' {UseModelSnippets.Sh(value)}");

        Assert.Equal([value], printed);
    }

    /// <summary>
    /// Names that validation would refuse, in every place a configured or uploaded value lands: the namespace, the
    /// model, the public address and a file path. The real shell must hand each tool exactly these values.
    /// </summary>
    [Fact]
    public async Task Hostile_names_reach_every_shell_tool_as_exactly_themselves()
    {
        const string hostileModel = "bot'$(touch /tmp/x)`id`";
        const string hostileNs = "team \"a\"";
        const string hostileUrl = "https://registry.example/it's here";
        const string hostileFile = "w$(id)/it's \"q\".gguf";
        var target = new UseModelTarget(hostileUrl, hostileNs, hostileModel, "text-generation", 3, Commit, true, WeightFormat.Safetensors, null,
            [new(hostileFile, new string('e', 64))]);

        var vllm = await RunShellSnippetAsync(Code(target, SnippetRevision.Production, "vllm"));
        Assert.Equal(["HF_ENDPOINT=https://registry.example/it's here/hf", "HF_TOKEN=hf_mr_secret", "serve", $"{hostileNs}/{hostileModel}", "--revision", "production"], vllm);

        var tgi = await RunShellSnippetAsync(Code(target, SnippetRevision.OfVersion(3), "tgi"));
        Assert.Contains("HF_ENDPOINT=https://registry.example/it's here/hf", tgi);
        Assert.Contains("HF_TOKEN=hf_mr_secret", tgi);
        Assert.Equal(["--model-id", $"{hostileNs}/{hostileModel}", "--revision", "v3"], tgi[^4..]);

        var mreg = await RunShellSnippetAsync(Code(target, SnippetRevision.OfVersion(3), "mreg"));
        Assert.Equal(["login", "--url", hostileUrl, "--token", "mr_secret", "pull", $"{hostileModel}@3", $"./{hostileModel}"], mreg);

        var curl = await RunShellSnippetAsync(Code(target, SnippetRevision.OfVersion(3), "curl"));
        var escapedModel = Uri.EscapeDataString(hostileModel);
        var files = $"https://registry.example/it's here/api/v1/models/{escapedModel}/versions/3/files";
        Assert.Equal(
            [
                "curl", "-fsS", "-H", "Authorization: Bearer mr_secret", files,
                "curl", "-fL", "--create-dirs", "-o", hostileFile, "-H", "Authorization: Bearer mr_secret",
                files + "/" + Uri.EscapeDataString("w$(id)") + "/" + Uri.EscapeDataString("it's \"q\".gguf"),
                "sha256sum", "-c", "-", $"stdin={new string('e', 64)}  {hostileFile}",
            ],
            curl);

        var gguf = target with { Format = WeightFormat.Gguf };
        var llama = await RunShellSnippetAsync(Code(gguf, SnippetRevision.OfVersion(3), "llama-cpp"));
        var resolve = $"https://registry.example/it's here/hf/team%20%22a%22/{escapedModel}/resolve/v3/w%24%28id%29/it%27s%20%22q%22.gguf";
        // llama.cpp gets the hexadecimal spelling: "mr_secret" in hex.
        Assert.Equal(["HF_TOKEN=hf_6d725f736563726574", "llama-cli", "-mu", resolve, "llama-server", "-mu", resolve], llama);
    }

    [Fact]
    public async Task Hostile_names_reach_transformers_as_exactly_themselves()
    {
        const string hostileModel = "bot\"); import os; os.system('id'); (\"\\";
        const string hostileFile = "x\"\"\"\n'.gguf";
        var target = new UseModelTarget("https://registry.example/a\"b\\", "ns\u2028x", hostileModel, null, 3, Commit, true, WeightFormat.Gguf, null,
            [new(hostileFile, "")]);

        var printed = await RunPythonSnippetAsync(Code(target, SnippetRevision.Production, "transformers"));

        Assert.Equal(
            [
                "HF_ENDPOINT=https://registry.example/a\"b\\/hf", "HF_TOKEN=hf_mr_secret",
                $"AutoTokenizer|ns\u2028x/{hostileModel}|production|{hostileFile}",
                $"AutoModelForCausalLM|ns\u2028x/{hostileModel}|production|{hostileFile}",
            ],
            printed);
    }

    /// <summary>Runs a bash snippet with each tool replaced by a function printing its arguments (and the variables it reads).</summary>
    private static Task<string[]> RunShellSnippetAsync(string snippet) => BashAsync(
        """
        export REGISTRY_TOKEN=mr_secret
        show() { printf '%s\0' "$@"; }
        vllm() { show "HF_ENDPOINT=$HF_ENDPOINT" "HF_TOKEN=$HF_TOKEN" "$@"; }
        docker() { show "$@"; }
        llama-cli() { show "HF_TOKEN=$HF_TOKEN" llama-cli "$@"; }
        llama-server() { show llama-server "$@"; }
        curl() { show curl "$@"; }
        sha256sum() { show sha256sum "$@" "stdin=$(cat)"; }
        mreg() { show "$@"; }

        """ + snippet);

    private static async Task<string[]> BashAsync(string script)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-s");
        using var process = Process.Start(start)!;
        await process.StandardInput.WriteAsync(script);
        process.StandardInput.Close();
        var output = await process.StandardOutput.ReadToEndAsync(Ct);
        var error = await process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);
        Assert.True(process.ExitCode == 0, $"bash failed ({process.ExitCode}): {error}");
        Assert.Equal("", error);
        return output.Split('\0')[..^1];
    }

    /// <summary>Runs a Python snippet against a stand-in transformers module whose classes print what they are asked to load.</summary>
    private static async Task<string[]> RunPythonSnippetAsync(string snippet)
    {
        var directory = Directory.CreateTempSubdirectory("use-model-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(directory, "transformers.py"),
                """
                import os, sys
                def _show(*parts):
                    sys.stdout.write("\0".join(parts) + "\0")
                _show("HF_ENDPOINT=" + os.environ["HF_ENDPOINT"], "HF_TOKEN=" + os.environ["HF_TOKEN"])
                class _Auto:
                    @classmethod
                    def from_pretrained(cls, repo_id, revision=None, gguf_file=None):
                        _show(f"{cls.__name__}|{repo_id}|{revision}|{gguf_file}")
                class AutoTokenizer(_Auto): pass
                class AutoModelForCausalLM(_Auto): pass
                """, Ct);
            var script = Path.Combine(directory, "snippet.py");
            await File.WriteAllTextAsync(script, snippet, Ct);
            var start = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = directory };
            start.ArgumentList.Add(script);
            start.Environment["REGISTRY_TOKEN"] = "mr_secret";
            start.Environment["PYTHONPATH"] = directory;
            start.Environment["PYTHONIOENCODING"] = "utf-8";
            using var process = Process.Start(start)!;
            var output = await process.StandardOutput.ReadToEndAsync(Ct);
            var error = await process.StandardError.ReadToEndAsync(Ct);
            await process.WaitForExitAsync(Ct);
            Assert.True(process.ExitCode == 0, $"python3 failed ({process.ExitCode}): {error}");
            return output.Split('\0')[..^1];
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
