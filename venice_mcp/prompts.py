"""Prompts: ready-made starting points for the jobs people most often bring to Venice."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server import MCPServer
from pydantic import Field


def register(server: MCPServer[Any]) -> None:
    @server.prompt(title="Image in a chosen style")
    def image_in_style(
        subject: Annotated[str, Field(description="What the image should show.")],
        style: Annotated[str, Field(description="A Venice style preset, e.g. 'Cinematic' or 'Anime'.")] = "",
    ) -> str:
        """Generate an image of a subject in one of Venice's style presets."""
        style_step = (
            f"Check with venice_image_styles that the style {style!r} exists (pick the closest if not), "
            "then call venice_image_generate with it as style_preset"
            if style
            else "List the styles with venice_image_styles, pick the one that suits the subject best, then "
            "call venice_image_generate with it as style_preset"
        )
        return (
            f"Make an image of: {subject}\n\n{style_step}. Write a vivid, specific prompt (subject, setting, "
            "lighting, composition). If the tool answers confirmation_required, tell me the price and ask "
            "before repeating it with confirm=true. Show me the result and where the file was saved."
        )

    @server.prompt(title="Research a topic with sources")
    def research_topic(
        topic: Annotated[str, Field(description="The question or topic to research.")],
    ) -> str:
        """Research a topic on the web and answer with cited sources."""
        return (
            f"Research this: {topic}\n\nUse venice_web_search (two or three focused queries), read the most "
            "relevant pages with venice_web_scrape, then write a concise answer. Cite every claim with a "
            "numbered reference [n] and list the sources (title and URL) at the end. Say plainly where "
            "sources disagree or where you found nothing reliable."
        )

    @server.prompt(title="Short video from an image")
    def video_from_image(
        image: Annotated[
            str, Field(description="The still image: a file path, an https:// URL or a data: URL.")
        ],
        idea: Annotated[str, Field(description="What should happen in the video.")],
    ) -> str:
        """Animate a still image into a short video."""
        return (
            f"Turn this image into a short video: {image}\nWhat should happen: {idea}\n\n"
            "Find an image-to-video model with venice_models (type 'video'), check its durations and "
            "resolutions with venice_model_info, and get the price with venice_quote. Tell me the price, "
            "then call venice_video_generate with the image and the shortest duration that fits. If it "
            "returns a job id, poll venice_jobs with that job_id until the video is ready; give me the file."
        )
