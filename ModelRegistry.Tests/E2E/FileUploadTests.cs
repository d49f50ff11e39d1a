using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.E2E;

[Collection(BrowserCollection.Name)]
public sealed class FileUploadTests(BrowserFixture browser)
{
    [Fact]
    public async Task Data_scientist_uploads_two_files_on_the_files_tab_and_sees_them_with_their_hashes()
    {
        var app = browser.App;
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        var name = $"e2e-files-{Guid.NewGuid():N}"[..20];
        await app.RegisterModelAsync(ds, name, "text-generation");
        await app.CreateVersionAsync(ds, name);
        var config = ModelFiles.Config(contextLength: 32768);
        var weights = ModelFiles.Safetensors([("embed", "BF16", [4096, 64]), ("head", "BF16", [4096, 64])]);
        var page = await browser.NewPageAsync(ds);

        await page.GotoAsync($"/models/{name}/versions/1");
        await BrowserFixture.WaitForCircuitAsync(page);
        await page.GetByRole(AriaRole.Tab, new() { Name = "Files" }).ClickAsync();
        await Assertions.Expect(page.GetByText("No files yet")).ToBeVisibleAsync();
        await page.WaitForSelectorAsync("[data-uploader=ready]", new() { State = WaitForSelectorState.Attached });
        await page.GetByLabel("Choose files to upload").SetInputFilesAsync(new[]
        {
            new FilePayload { Name = "config.json", MimeType = "application/json", Buffer = config },
            new FilePayload { Name = "model.safetensors", MimeType = "application/octet-stream", Buffer = weights },
        });

        await Assertions.Expect(page.GetByText("Uploaded 2 of 2 files")).ToBeVisibleAsync();
        var table = page.GetByRole(AriaRole.Table).Filter(new() { HasText = "SHA-256" });
        foreach (var (path, bytes) in new[] { ("config.json", config), ("model.safetensors", weights) })
        {
            var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
            var row = table.GetByRole(AriaRole.Row).Filter(new() { HasText = path });
            await Assertions.Expect(row).ToContainTextAsync(sha[..16]);
            await Assertions.Expect(row.Locator($"[data-sha256='{sha}']")).ToHaveCountAsync(1);
        }

        await Assertions.Expect(table.GetByRole(AriaRole.Row).Filter(new() { HasText = "model.safetensors" })).ToContainTextAsync("524.3 K params");

        // The download link gives the bytes back (a real download, not a navigation inside the dashboard).
        var download = await page.RunAndWaitForDownloadAsync(() =>
            page.GetByRole(AriaRole.Link, new() { Name = "Download config.json" }).ClickAsync());
        Assert.Equal("config.json", download.SuggestedFilename);
        Assert.Equal(config, await File.ReadAllBytesAsync(await download.PathAsync(), TestContext.Current.CancellationToken));

        // The bytes went to the API with the cookie and the page's antiforgery token; without the token it is refused.
        var forged = await page.APIRequest.PutAsync($"/api/v1/models/{name}/versions/1/files/forged.bin",
            new() { DataByte = [1, 2, 3], Headers = new Dictionary<string, string> { ["Content-Type"] = "application/octet-stream" } });
        Assert.Equal(400, forged.Status);

        // What the headers filled in shows on the Overview, marked as from a file.
        await page.GetByRole(AriaRole.Tab, new() { Name = "Overview" }).ClickAsync();
        await Assertions.Expect(page.GetByText("from config.json").First).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText("32,768 tokens")).ToBeVisibleAsync();
        await page.WaitForTimeoutAsync(400); // the tab indicator slides; let it settle for the screenshot
        await BrowserFixture.ScreenshotAsync(page, "version-overview-from-files");

        // Two more files, as a pipeline might add them, to show how flagged files look.
        byte[] pickle = [0x80, 0x04, .. RandomNumberGenerator.GetBytes(2048)];
        var lying = GgufBuilder.Llama();
        lying.TensorCountOverride = 1_000_000_000;
        await app.UploadAsync(ds, name, 1, "pytorch_model.bin", pickle);
        await app.UploadAsync(ds, name, 1, "gguf/model.Q8_0.gguf", lying.Build());
        await page.ReloadAsync();
        await BrowserFixture.WaitForCircuitAsync(page);
        await page.GetByRole(AriaRole.Tab, new() { Name = "Files" }).ClickAsync();
        await Assertions.Expect(page.GetByText("Unsafe format")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText("Header unreadable")).ToBeVisibleAsync();
        await page.WaitForTimeoutAsync(400);
        await BrowserFixture.ScreenshotAsync(page, "version-files");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Files_dropped_on_the_drop_zone_are_uploaded()
    {
        var app = browser.App;
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        var name = $"e2e-drop-{Guid.NewGuid():N}"[..20];
        await app.RegisterModelAsync(ds, name);
        await app.CreateVersionAsync(ds, name);
        var page = await browser.NewPageAsync(ds);
        await page.GotoAsync($"/models/{name}/versions/1");
        await BrowserFixture.WaitForCircuitAsync(page);
        await page.GetByRole(AriaRole.Tab, new() { Name = "Files" }).ClickAsync();
        await page.WaitForSelectorAsync("[data-uploader=ready]", new() { State = WaitForSelectorState.Attached });

        // What a drag from the desktop delivers: a drop event whose DataTransfer carries the files.
        var zone = page.GetByRole(AriaRole.Region, new() { Name = "Upload files" });
        var transfer = await page.EvaluateHandleAsync("""
            () => {
              const t = new DataTransfer();
              t.items.add(new File(['{"model_type":"mistral"}'], "config.json", { type: "application/json" }));
              t.items.add(new File([new Uint8Array(3000)], "tokenizer.model"));
              return t;
            }
            """);
        await zone.DispatchEventAsync("dragenter", new Dictionary<string, object> { ["dataTransfer"] = transfer });
        await zone.DispatchEventAsync("drop", new Dictionary<string, object> { ["dataTransfer"] = transfer });

        await Assertions.Expect(page.GetByText("Uploaded 2 of 2 files")).ToBeVisibleAsync();
        var table = page.GetByRole(AriaRole.Table).Filter(new() { HasText = "SHA-256" });
        await Assertions.Expect(table.GetByRole(AriaRole.Row).Filter(new() { HasText = "tokenizer.model" })).ToContainTextAsync("3 kB");
        await Assertions.Expect(table.GetByRole(AriaRole.Row).Filter(new() { HasText = "config.json" })).ToContainTextAsync("mistral");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_file_over_64_MiB_goes_through_the_resumable_protocol_and_is_listed()
    {
        var app = browser.App;
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        var name = $"e2e-tus-{Guid.NewGuid():N}"[..20];
        await app.RegisterModelAsync(ds, name);
        await app.CreateVersionAsync(ds, name);
        var file = Path.Combine(Path.GetTempPath(), "mr-tests", $"{Guid.NewGuid():N}", "large-weights.bin");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        var bytes = RandomNumberGenerator.GetBytes(65 * 1024 * 1024 + 123);
        await File.WriteAllBytesAsync(file, bytes, TestContext.Current.CancellationToken);
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        var page = await browser.NewPageAsync(ds);
        try
        {
            await page.GotoAsync($"/models/{name}/versions/1");
            await BrowserFixture.WaitForCircuitAsync(page);
            await page.GetByRole(AriaRole.Tab, new() { Name = "Files" }).ClickAsync();
            await page.WaitForSelectorAsync("[data-uploader=ready]", new() { State = WaitForSelectorState.Attached });

            await page.GetByLabel("Choose files to upload").SetInputFilesAsync(file);

            await Assertions.Expect(page.GetByText("Uploaded 1 of 1 files")).ToBeVisibleAsync(new() { Timeout = 60_000 });
            var row = page.GetByRole(AriaRole.Table).Filter(new() { HasText = "SHA-256" }).GetByRole(AriaRole.Row)
                .Filter(new() { HasText = "large-weights.bin" });
            await Assertions.Expect(row.Locator($"[data-sha256='{sha}']")).ToHaveCountAsync(1);
            // It came through the tus endpoints (an upload that completed), not a PUT; and the browser forgot its URL.
            await using (var db = await app.DbAsync())
            {
                Assert.True(await db.Uploads.AnyAsync(u => u.Path == "large-weights.bin" && u.CompletedAt != null && u.Sha256 == sha,
                    TestContext.Current.CancellationToken));
            }

            Assert.Equal(0, await page.EvaluateAsync<int>("() => Object.keys(localStorage).filter(k => k.startsWith('tus::')).length"));
        }
        finally
        {
            await page.Context.CloseAsync();
            File.Delete(file);
        }
    }
}
