import { BadRequestException, Injectable, PipeTransform } from '@nestjs/common';

/** Subject ids are opaque: anything that could be an e-mail, phone number or name is refused. */
export const SUBJECT_ID = /^[A-Za-z0-9._:-]{1,128}$/;

@Injectable()
export class SubjectIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!SUBJECT_ID.test(value)) {
      throw new BadRequestException({
        error: 'validation',
        field: 'subjectId',
        message: 'subjectId must be an opaque id: 1-128 letters, digits, dots, colons, dashes or underscores',
      });
    }
    return value;
  }
}
